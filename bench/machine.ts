import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, cpus, release, totalmem, type } from 'node:os'

/** Which machine the figures came from: they mean little without it. */
export interface Machine {
  os: string
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  python: string | undefined
}

export function describeMachine(python: string | undefined): Machine {
  let os = `${type()} ${release()}`
  if (existsSync('/etc/os-release')) {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
    if (pretty !== undefined) os = `${pretty} (${type()} ${release()})`
  }
  return {
    os,
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    python,
  }
}

export function machineLine(m: Machine): string {
  return `${m.os}, ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}${m.python === undefined ? '' : `, ${m.python}`}`
}
