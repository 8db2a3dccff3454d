import type { Argv } from 'yargs'
import { CHECKOUT_CORPUS } from './corpus.js'
import { BENCH_DEFAULTS } from './options.js'
import { TUNE_DEFAULTS } from './tune-options.js'
import { STRATEGY_FAMILIES, WORKLOADS } from './workloads.js'

// As in src/cli/args.ts: no yargs defaults or choices, so the option resolvers apply the one
// set of defaults and word every message the same way. Lists take `a,b` or `a b`.

export function benchArgs<T>(y: Argv<T>) {
  return y.options({
    workload: { type: 'string', array: true, requiresArg: true, defaultDescription: WORKLOADS.join(','), describe: `workloads to run (${WORKLOADS.join(' | ')}), several allowed` },
    quick: { type: 'boolean', describe: 'shrink every workload to finish in about a minute (time scale 0.25, 1 run)' },
    'time-scale': { type: 'number', requiresArg: true, defaultDescription: `${BENCH_DEFAULTS.timeScale} (${BENCH_DEFAULTS.quickTimeScale} with --quick)`, describe: 'multiply every model latency by this' },
    runs: { type: 'number', requiresArg: true, defaultDescription: `${BENCH_DEFAULTS.runs} (${BENCH_DEFAULTS.quickRuns} with --quick)`, describe: 'runs of each setting (median and spread)' },
    corpus: { type: 'string', requiresArg: true, defaultDescription: `${CHECKOUT_CORPUS} in a checkout, else samples/pages`, describe: 'folder of pages to serve' },
    pages: { type: 'number', requiresArg: true, defaultDescription: "each workload's", describe: 'pages of every workload' },
    concurrency: { type: 'string', array: true, requiresArg: true, defaultDescription: "each workload's grid", describe: 'in-flight pages for async, pool and the peers (list)' },
    threads: { type: 'string', array: true, requiresArg: true, defaultDescription: 'number of cores (cpu: 1 and cores)', describe: 'pool threads (list)' },
    strategy: { type: 'string', array: true, requiresArg: true, defaultDescription: STRATEGY_FAMILIES.join(','), describe: `rows to run (${STRATEGY_FAMILIES.join(' | ')})` },
    python: { type: 'string', requiresArg: true, defaultDescription: BENCH_DEFAULTS.python, describe: 'Python 3 command for the Python rows' },
    json: { type: 'string', requiresArg: true, describe: 'write the rows as JSON to this file' },
    report: { type: 'string', requiresArg: true, describe: 'write a Markdown report with charts into this folder' },
  })
}

export function tuneArgs<T>(y: Argv<T>) {
  return y.options({
    threads: { type: 'string', array: true, requiresArg: true, defaultDescription: '1, 2 and the number of cores', describe: 'pool thread counts to try (list)' },
    concurrency: { type: 'string', array: true, requiresArg: true, defaultDescription: TUNE_DEFAULTS.concurrency.join(','), describe: 'in-flight pages to try (list)' },
    quick: { type: 'boolean', describe: `a smaller grid (concurrency ${TUNE_DEFAULTS.quickConcurrency.join(',')}, threads 1 and cores) and fewer rounds` },
    rounds: { type: 'number', requiresArg: true, defaultDescription: `${TUNE_DEFAULTS.rounds} (${TUNE_DEFAULTS.quickRounds} with --quick)`, describe: 'rounds of model calls per setting: pages = rounds × concurrency' },
    corpus: { type: 'string', requiresArg: true, defaultDescription: `${CHECKOUT_CORPUS} in a checkout, else samples/pages`, describe: 'folder of pages to serve' },
    'latency-ms': { type: 'number', requiresArg: true, group: 'Emulator:', defaultDescription: String(TUNE_DEFAULTS.latencyMs), describe: 'emulator model latency per call' },
    'jitter-ms': { type: 'number', requiresArg: true, group: 'Emulator:', defaultDescription: '10% of --latency-ms', describe: 'emulator latency spread' },
    'emulator-rpm': { type: 'number', requiresArg: true, group: 'Emulator:', defaultDescription: 'no limit', describe: 'simulate a requests-per-minute quota (429 past it)' },
    'emulator-tpm': { type: 'number', requiresArg: true, group: 'Emulator:', defaultDescription: 'no limit', describe: 'simulate a tokens-per-minute quota' },
    'emulator-max-concurrency': { type: 'number', requiresArg: true, group: 'Emulator:', defaultDescription: 'no limit', describe: 'simulate a cap on calls in flight' },
    'throttle-rate': { type: 'number', requiresArg: true, group: 'Emulator:', defaultDescription: '0', describe: 'fraction of calls the emulator throttles at random' },
    'endpoint-url': { type: 'string', requiresArg: true, group: 'Real endpoint:', describe: 'tune against this Bedrock Runtime endpoint instead of a spawned emulator' },
    provider: { type: 'string', requiresArg: true, group: 'Real endpoint:', defaultDescription: 'the emulator', describe: 'bedrock: tune against Amazon Bedrock itself; openai: against OpenAI or --base-url (costs money unless local)' },
    'base-url': { type: 'string', requiresArg: true, group: 'Real endpoint:', describe: 'with --provider openai: an OpenAI-compatible server, e.g. the emulator at http://127.0.0.1:PORT/v1' },
    model: { type: 'string', requiresArg: true, group: 'Real endpoint:', describe: 'model id for a real endpoint' },
    region: { type: 'string', requiresArg: true, group: 'Real endpoint:', describe: 'AWS region for a real endpoint' },
    profile: { type: 'string', requiresArg: true, group: 'Real endpoint:', describe: 'AWS profile for a real endpoint' },
    yes: { type: 'boolean', group: 'Real endpoint:', describe: `allow more than ${TUNE_DEFAULTS.freeRequests} requests to a real (billed) endpoint` },
    json: { type: 'string', requiresArg: true, describe: 'write the sweep as JSON to this file' },
  })
}
