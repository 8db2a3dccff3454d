import { describe, expect, it } from 'vitest'
import { pageUrls } from '../bench/bench.js'
import { repeatTo, spreadPick, type Corpus } from '../bench/corpus.js'
import { describeRuns, resolveBenchOptions } from '../bench/options.js'
import { isLoopbackUrl, resolveTuneOptions } from '../bench/tune-options.js'
import { buildWorkload, planRows } from '../bench/workloads.js'

const corpus: Corpus = { dir: '/nowhere', pages: Array.from({ length: 90 }, (_, i) => `page-${i}/source.html`), label: 'test corpus' }
const sizing = { quick: false, timeScale: 1, cores: 2 }

describe('bench workloads', () => {
  it('seed is the write-up: 5 pages at 3.4 s a call, every row on all of them, all the Python strategies', () => {
    const seed = buildWorkload('seed', corpus, sizing)
    expect(seed.paths).toHaveLength(5)
    expect(seed.latencyMs).toBe(3400)
    const rows = planRows(seed, 3, ['sequential', 'async', 'pool', 'p-limit', 'python'], true)
    expect(rows.map((r) => r.strategy)).toEqual(['sequential', 'async', 'pool', 'p-limit', 'python-sequential', 'python-gather', 'python-threads', 'python-to_thread'])
    expect(rows.every((r) => r.pages === 5)).toBe(true)
    // Serial rows on a model-bound workload run once: N × latency every time.
    expect(rows.filter((r) => r.runs === 1).map((r) => r.strategy)).toEqual(['sequential', 'python-sequential', 'python-gather'])
  })

  it('io runs 500 pages at concurrency 50, and every setting for the same 10 rounds of model calls', () => {
    const io = buildWorkload('io', corpus, sizing)
    const rows = planRows(io, 3, ['sequential', 'async', 'pool', 'p-limit', 'python'], true)
    const at = (strategy: string, concurrency: number) => rows.find((r) => r.strategy === strategy && r.concurrency === concurrency)
    expect(at('async', 50)?.pages).toBe(500)
    expect(at('pool', 50)?.pages).toBe(500)
    expect(at('async', 10)?.pages).toBe(100)
    expect(at('sequential', 1)?.pages).toBe(10)
    expect(at('p-limit', 50)?.pages).toBe(500)
    expect(at('python-threads', 50)?.threads).toBe(50)
    expect(rows.some((r) => r.strategy === 'python-gather')).toBe(false)
  })

  it('cpu is long and offline with no Python rows; it tries the pool with 1 thread and every core, a warmed ceiling, and extraction alone on 1 and every core', () => {
    const cpu = buildWorkload('cpu', corpus, sizing)
    expect(cpu.latencyMs).toBe(0)
    expect(cpu.paths).toHaveLength(2000)
    // The copies are distinct URLs: the run fetches every page, it does not answer repeats from its first record.
    expect(new Set(cpu.paths).size).toBe(2000)
    expect(buildWorkload('cpu', corpus, { ...sizing, quick: true }).paths).toHaveLength(180)
    const rows = planRows(cpu, 3, ['sequential', 'async', 'pool', 'p-limit', 'ceiling', 'python'], true)
    expect(rows.map((r) => `${r.strategy}:${r.threads}`)).toEqual(['sequential:1', 'async:1', 'pool:1', 'pool:2', 'p-limit:1', 'ceiling:2', 'ceiling-extract:1', 'ceiling-extract:2'])
  })

  it('--quick runs the rows the advice ranks on cpu (async, pool) twice and its baselines and bounds once', () => {
    const cpu = buildWorkload('cpu', corpus, { quick: true, timeScale: 0.25, cores: 2 })
    const { runs, rankedRuns } = resolveBenchOptions({ quick: true })
    const rows = planRows(cpu, runs, ['sequential', 'async', 'pool', 'p-limit', 'ceiling'], false, false, rankedRuns)
    expect(rows.map((r) => `${r.strategy}:${r.threads}:${r.runs}`)).toEqual(['sequential:1:1', 'async:1:2', 'pool:2:2', 'p-limit:1:1', 'ceiling:2:1', 'ceiling-extract:1:1', 'ceiling-extract:2:1'])
    // The full run repeats every row alike.
    expect(resolveBenchOptions({})).toMatchObject({ runs: 3, rankedRuns: 3 })
    // The output's header says so.
    expect(describeRuns(resolveBenchOptions({ quick: true }), true)).toBe('1 run a setting (async and pool on cpu: 2; serial rows on model workloads: 1)')
    expect(describeRuns(resolveBenchOptions({}), false)).toBe('3 runs a setting')
  })

  it('mixed runs p-limit, python-threads and python-readability at 32 and at 128 pages in flight, beside async and pool', () => {
    const mixed = buildWorkload('mixed', corpus, sizing)
    const rows = planRows(mixed, 3, ['sequential', 'async', 'pool', 'p-limit', 'python'], true)
    const common = ['sequential:1', 'async:16', 'pool:16', 'async:32', 'pool:32', 'async:128', 'pool:128', 'p-limit:32', 'p-limit:128', 'python-threads:32', 'python-threads:128']
    expect(rows.map((r) => `${r.strategy}:${r.concurrency}`)).toEqual([...common, 'python-readability:32', 'python-readability:128'])
    // Without readability-lxml its row is left out, and the tag-stripping row stays.
    expect(planRows(mixed, 3, ['sequential', 'async', 'pool', 'p-limit', 'python'], true, false).map((r) => `${r.strategy}:${r.concurrency}`)).toEqual(common)
  })

  it('--workload takes the probes too: startup, extract, job and scaling', () => {
    expect(resolveBenchOptions({ workloads: ['cpu', 'startup'] })).toMatchObject({ workloads: ['cpu'], probes: ['startup'] })
    expect(resolveBenchOptions({})).toMatchObject({ workloads: ['seed', 'io', 'cpu', 'mixed'], probes: ['startup', 'extract', 'job', 'scaling'] })
  })

  it('--quick shrinks the workloads and --time-scale scales every latency', () => {
    const quick = { quick: true, timeScale: 0.25, cores: 2 }
    expect(buildWorkload('io', corpus, quick).paths).toHaveLength(200)
    expect(buildWorkload('seed', corpus, quick).latencyMs).toBe(850)
    expect(buildWorkload('mixed', corpus, quick).latencyMs).toBe(250)
  })

  it('leaves out what --strategy does not select, and the Python rows without python3', () => {
    const seed = buildWorkload('seed', corpus, sizing)
    expect(planRows(seed, 1, ['async', 'python'], false).map((r) => r.strategy)).toEqual(['async'])
  })
})

describe('pages of a repeated corpus', () => {
  it('never repeat a URL: the run would answer a repeated one without fetching it', () => {
    const paths = repeatTo(['/a.html', '/b.html'], 5)
    expect(paths).toEqual(['/a.html', '/b.html', '/a.html?copy=2', '/b.html?copy=2', '/a.html?copy=3'])
    expect(new Set(pageUrls('http://127.0.0.1:1', paths)).size).toBe(5)
  })

  it('escape each path segment but keep the query', () => {
    expect(pageUrls('http://127.0.0.1:1', ['/ä b/source.html?copy=2'])).toEqual(['http://127.0.0.1:1/%C3%A4%20b/source.html?copy=2'])
  })

  it('are picked evenly across the corpus for seed', () => {
    expect(spreadPick([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5)).toEqual([0, 2, 4, 6, 8])
  })
})

describe('bench and tune options', () => {
  it('apply the quick defaults once', () => {
    expect(resolveBenchOptions({ quick: true })).toMatchObject({ timeScale: 0.25, runs: 1, workloads: ['seed', 'io', 'cpu', 'mixed'] })
    expect(resolveBenchOptions({})).toMatchObject({ timeScale: 1, runs: 3 })
  })

  it('name the flag, what was expected and what was received', () => {
    expect(() => resolveBenchOptions({ workloads: ['io', 'disk' as never] })).toThrow('--workload must be one or more of seed, io, cpu, mixed, startup, extract, job, scaling, got `disk`')
    expect(() => resolveBenchOptions({ runs: 0 })).toThrow('--runs must be an integer from 1 to 100, got `0`')
    expect(() => resolveBenchOptions({ timeScale: 0 })).toThrow('--time-scale must be a number from 0.001 to 100, got `0`')
    expect(() => resolveTuneOptions({ concurrency: [0] })).toThrow('--concurrency must be an integer from 1 to 10000, got `0`')
  })

  it('treat a loopback endpoint as free and anything else, or Bedrock itself, as billed', () => {
    expect(isLoopbackUrl('http://127.0.0.1:8080')).toBe(true)
    expect(isLoopbackUrl('http://localhost:1')).toBe(true)
    expect(isLoopbackUrl('http://[::1]:1')).toBe(true)
    expect(isLoopbackUrl('https://bedrock-runtime.example.test')).toBe(false)
    expect(resolveTuneOptions({ endpointUrl: 'http://127.0.0.1:9' }).target).toMatchObject({ kind: 'endpoint', billed: false })
    expect(resolveTuneOptions({ provider: 'bedrock' }).target).toMatchObject({ kind: 'endpoint', billed: true })
  })

  it('refuse emulator quotas together with a real endpoint', () => {
    expect(() => resolveTuneOptions({ provider: 'bedrock', emulatorRpm: 100 })).toThrow(/--emulator-rpm shapes the spawned emulator/)
  })
})
