/* The crash-safety and memory parts of bench/resilience.ts: SIGKILLed runs resumed, and peak RSS against the list's length. */

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmulator } from '../src/emulator/server.js'
import type { PageRecord } from '../src/record.js'
import { peakRssMb, report, round } from './resilience-harness.js'

/** `kill`: runs of the real CLI killed with SIGKILL at a random moment, then resumed. */
export async function killPart(pages: { url: string }, quick: boolean): Promise<void> {
  const runs = quick ? 5 : 20
  const n = quick ? 150 : 300
  const bin = fileURLToPath(new URL('../src/cli/bin.ts', import.meta.url))
  const dir = await mkdtemp(join(tmpdir(), 'su-kill-'))
  const emulator = await startEmulator({ latencyMs: 150, jitterMs: 100 })
  let worstExtra = 0
  let allGood = true
  const problems: string[] = []
  const argsFor = (input: string, out: string): string[] => ['--import', 'tsx', bin, input, '--out', out, '--provider', 'bedrock', '--endpoint-url', emulator.url, '--region', 'us-east-1', '--concurrency', '16', '--quiet']
  try {
    // One uncut run says how long a run takes, so the kills land all over it.
    const calibration = join(dir, 'calibration.txt')
    await writeFile(calibration, `${Array.from({ length: n }, (_, i) => `${pages.url}/cal-${i}`).join('\n')}\n`)
    const t0 = performance.now()
    await once(spawn(process.execPath, argsFor(calibration, join(dir, 'calibration.jsonl')), { stdio: 'ignore' }), 'exit')
    const fullRunMs = performance.now() - t0
    console.log(`  an uncut run of ${n} pages takes ${Math.round(fullRunMs)} ms`)
    for (let k = 0; k < runs; k++) {
      const input = join(dir, `urls-${k}.txt`)
      const out = join(dir, `out-${k}.jsonl`)
      await writeFile(input, `${Array.from({ length: n }, (_, i) => `${pages.url}/k${k}-${i}`).join('\n')}\n`)
      const args = argsFor(input, out)
      const before = emulator.stats().requests
      // Killed somewhere between start-up and the end of a run (~4 s for these pages).
      const child = spawn(process.execPath, args, { stdio: 'ignore' })
      const exited = once(child, 'exit')
      // A random moment of the run: from start-up (workers loading) to near its end.
      const killAt = 300 + Math.random() * (fullRunMs * 0.9 - 300)
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, killAt))])
      const atKill = emulator.stats()
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
      console.log(`  kill ${k + 1}/${runs} at ${Math.round(killAt)} ms: ${written} records on disk, ${inFlightAtKill} calls in flight (${atKill.inFlight} unanswered at the emulator); after --resume ${lines.length} records, ${calls} calls (${extra} repeated)`)
    }
  } finally {
    await emulator.close()
    await rm(dir, { recursive: true, force: true })
  }
  report({ part: 'kill', name: `${runs} SIGKILLed runs resumed: one record per line, calls ≤ pages + in flight`, value: allGood ? 1 : 0, target: '1', met: allGood, detail: problems.length === 0 ? `worst case ${worstExtra} calls to spare` : problems.join('; ') })
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
      peaks.push(await peakRssMb(['--import', 'tsx', bin, input, '--provider', 'extractive', '--strategy', 'async', '--concurrency', '64', '--quiet', '--out', join(dir, `out-${n}.jsonl`)]))
      console.log(`  ${n} lines: peak RSS ${peaks.at(-1)} MB`)
    }
    const ratio = peaks[1]! / peaks[0]!
    report({ part: 'memory', name: `peak RSS, ${sizes[1]} lines against ${sizes[0]}`, value: round(ratio), target: '≤ 1.5 (flat: not 10×)', met: ratio <= 1.5, detail: `${peaks[0]} MB and ${peaks[1]} MB` })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

