/* The crash-safety and memory parts of bench/resilience.ts: SIGKILLed runs resumed, and peak RSS against the list's length. */

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { seeded } from '../src/emulator/seeded.js'
import { startEmulator } from '../src/emulator/server.js'
import type { PageRecord } from '../src/record.js'
import { peakRssMb, report, round } from './resilience-harness.js'

/**
 * `kill`: runs of the real CLI killed with SIGKILL at a random point of their work, then
 * resumed. The point is a number of model calls the run has made (seeded), not a time: on a
 * busy machine a kill at a random time landed after the run had ended in 8 of 20 runs, which
 * checked nothing. Runs 1, 11, … are killed during start-up, before their first call.
 */
/** The kills' dice: the same points of the work every run of the bench. */
const KILL_SEED = 20

export async function killPart(pages: { url: string }, quick: boolean): Promise<void> {
  const runs = quick ? 5 : 20
  const n = quick ? 150 : 300
  const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'su-kill-'))
  const emulator = await startEmulator({ latencyMs: 150, jitterMs: 100 })
  let worstExtra = 0
  let ended = 0
  let allGood = true
  const problems: string[] = []
  // A fresh cache: the user's, or an earlier bench run's, holds replies for these URLs and answered every page without a call.
  const argsFor = (input: string, out: string): string[] => ['--import', 'tsx', bin, input, '--out', out, '--provider', 'bedrock', '--endpoint-url', emulator.url, '--region', 'us-east-1', '--concurrency', '16', '--quiet', '--cache-dir', join(dir, 'cache')]
  try {
    const dice = seeded(KILL_SEED)
    for (let k = 0; k < runs; k++) {
      const input = join(dir, `urls-${k}.txt`)
      const out = join(dir, `out-${k}.jsonl`)
      await writeFile(input, `${Array.from({ length: n }, (_, i) => `${pages.url}/k${k}-${i}`).join('\n')}\n`)
      const args = argsFor(input, out)
      const before = emulator.stats().requests
      const child = spawn(process.execPath, args, { stdio: 'ignore' })
      let done = false
      const exited = once(child, 'exit').then(() => (done = true))
      // After `killAfter` calls of this run, up to 95% of its pages; one run in ten during start-up (0: up to 1 s in, before a call).
      const killAfter = k % 10 === 0 ? 0 : 1 + Math.floor(dice() * 0.95 * n)
      const t0 = performance.now()
      if (killAfter === 0) await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, dice() * 1000))])
      else while (!done && emulator.stats().requests - before < killAfter) await new Promise((resolve) => setTimeout(resolve, 2))
      const killAt = performance.now() - t0
      const atKill = emulator.stats()
      const endedFirst = done
      if (endedFirst) ended += 1
      child.kill('SIGKILL')
      await exited
      const written = (await readFile(out, 'utf8').catch(() => '')).split('\n').filter((l) => l.endsWith('}') && l.includes('"status":"ok"')).length
      // In flight at the kill, as the client sees it: calls it had made whose page was not yet
      // on disk. The emulator's own count misses replies sent but not yet written by the client.
      const inFlightAtKill = atKill.requests - before - written
      const resume = spawn(process.execPath, [...args, '--resume'], { stdio: 'ignore' })
      const [code] = (await once(resume, 'exit')) as [number | null]
      const records = (await readFile(out, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as PageRecord)
      const lines = records.map((r) => r.line)
      const onePerLine = lines.length === n && lines.every((line, i) => line === i + 1)
      const calls = emulator.stats().requests - before
      const extra = calls - n
      worstExtra = Math.max(worstExtra, extra - inFlightAtKill)
      const good = onePerLine && code === 0 && extra <= inFlightAtKill
      allGood &&= good
      if (!good) problems.push(`run ${k + 1}: ${lines.length} records, exit ${code}, ${calls} calls for ${n} pages with ${inFlightAtKill} in flight at the kill`)
      console.log(`  kill ${k + 1}/${runs} after ${killAfter} calls (${Math.round(killAt)} ms${endedFirst ? ', the run had ended' : ''}): ${written} records on disk, ${inFlightAtKill} calls in flight (${atKill.inFlight} unanswered at the emulator); after --resume ${lines.length} records, ${calls} calls (${extra} repeated)`)
    }
  } finally {
    await emulator.close()
    await rm(dir, { recursive: true, force: true })
  }
  const endedNote = ended === 0 ? '' : `; ${ended} of the runs had ended before their kill`
  report({ part: 'kill', name: `${runs} SIGKILLed runs resumed: one record per line, calls ≤ pages + in flight`, value: allGood ? 1 : 0, target: '1', met: allGood, detail: (problems.length === 0 ? `worst case ${worstExtra} calls to spare` : problems.join('; ')) + endedNote })
}

/** `memory`: peak RSS of the CLI on a short and a ten times longer list. */
export async function memoryPart(pages: { url: string }, quick: boolean): Promise<void> {
  const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'su-mem-'))
  const sizes = quick ? [2_000, 20_000] : [10_000, 100_000]
  try {
    const peaks: number[] = []
    for (const n of sizes) {
      const input = join(dir, `urls-${n}.txt`)
      await writeFile(input, `${Array.from({ length: n }, (_, i) => `${pages.url}/m${i}`).join('\n')}\n`)
      peaks.push(await peakRssMb(['--import', 'tsx', bin, input, '--provider', 'extractive', '--strategy', 'async', '--concurrency', '64', '--quiet', '--out', join(dir, `out-${n}.jsonl`), '--cache-dir', join(dir, `cache-${n}`)]))
      console.log(`  ${n} lines: peak RSS ${peaks.at(-1)} MB`)
    }
    const ratio = peaks[1]! / peaks[0]!
    report({ part: 'memory', name: `peak RSS, ${sizes[1]} lines against ${sizes[0]}`, value: round(ratio), target: '≤ 1.5 (flat: not 10×)', met: ratio <= 1.5, detail: `${peaks[0]} MB and ${peaks[1]} MB` })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

