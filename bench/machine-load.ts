import { readFileSync } from 'node:fs'

/**
 * CPU time the whole machine and single processes have spent, from Linux's /proc, so a run
 * can tell how much of the machine other programs took while it was measured: on a shared
 * machine that, not the strategy, can explain a bad row. Undefined where /proc is missing.
 */

/** Kernel clock ticks are USER_HZ, 100 a second on every mainstream Linux build. */
const MS_PER_TICK = 10

/** Busy CPU time of the whole machine (every core), in ms since boot: all but idle and iowait. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
    const ticks = line.trim().split(/\s+/).slice(1).map(Number)
    if (ticks.length < 5 || ticks.some((t) => !Number.isFinite(t))) return undefined
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks
    return (user + nice + system + irq + softirq + steal) * MS_PER_TICK
  } catch {
    return undefined
  }
}

/** User + system CPU time of one process, in ms; undefined once it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MS_PER_TICK : undefined
  } catch {
    return undefined
  }
}

/**
 * User + system CPU time of this process's children that have exited and been waited for, in
 * ms (Linux's cutime + cstime): the difference around one child's run is that child's CPU,
 * every thread of it, with nothing lost to sampling at its exit.
 */
export function exitedChildrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cutime = Number(fields[13])
    const cstime = Number(fields[14])
    return Number.isFinite(cutime) && Number.isFinite(cstime) ? (cutime + cstime) * MS_PER_TICK : undefined
  } catch {
    return undefined
  }
}

/** Sums the CPU time of several processes; undefined if any cannot be read. */
export function processesCpuMs(pids: readonly number[]): number | undefined {
  let total = 0
  for (const pid of pids) {
    const ms = processCpuMs(pid)
    if (ms === undefined) return undefined
    total += ms
  }
  return total
}
