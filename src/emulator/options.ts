import { EMULATOR_OPTIONS, type EmulatorTable } from '../options/emulator.js'
import { defaultsOf, type DefaultsOf, type OptionsOf, type ResolvedOf } from '../options/table.js'
import { resolveTable } from '../options/validate.js'
import type { Conversation } from './model.js'
import { seeded } from './seeded.js'

/**
 * The emulator's options: every row of `EMULATOR_OPTIONS` (src/options/emulator.ts, which
 * holds each one's range, default and meaning), plus what only a library caller can pass.
 * All optional; `resolveEmulatorOptions()` fills the rest.
 */
export type EmulatorOptions = OptionsOf<EmulatorTable> & {
  /** Source of every dice roll (throttle, reset, stall, error, jitter, overshoot), for reproducible tests. Default: seeded by `seed`, else `Math.random`. */
  random?: () => number
  /** Clock for the rpm and tpm quotas and the stats timeline, in ms, for tests with fake time. Default `performance.now`. */
  now?: () => number
  /** Told every conversation the fake model answers (online and batch), as it read it: a test reads back what a client sent. */
  onConversation?: (conversation: Conversation) => void
}

export const EMULATOR_DEFAULTS: DefaultsOf<EmulatorTable> = defaultsOf(EMULATOR_OPTIONS)

/** Options with every default applied: what the rest of the emulator reads. Limits left unset mean no limit. */
export type EmulatorSettings = Omit<ResolvedOf<EmulatorTable>, 'deniedModels' | 'rpmAt'> & {
  deniedModels: Set<string>
  /** `--rpm-at`, parsed and in time order. */
  rpmAt: RpmChange[]
  random: () => number
  now: () => number
  onConversation: ((conversation: Conversation) => void) | undefined
}

/** The only place the emulator's defaults are applied and its options checked; nothing downstream re-checks. */
export function resolveEmulatorOptions(options: EmulatorOptions): EmulatorSettings {
  const resolved = resolveTable(EMULATOR_OPTIONS, options)
  const random = options.random ?? (resolved.seed === undefined ? Math.random : seeded(resolved.seed))
  const now = options.now ?? (() => performance.now())
  for (const [key, value] of Object.entries({ random, now })) {
    if (typeof value !== 'function') throw new TypeError(`${key} must be a function, got \`${String(value)}\``)
  }
  return { ...resolved, deniedModels: new Set(resolved.deniedModels), rpmAt: (resolved.rpmAt ?? []).map(parseRpmChange).sort((a, b) => a.atMs - b.atMs), random, now, onConversation: options.onConversation }
}

/** One `--rpm-at` entry: the rpm quota from `atMs` after the emulator started. */
export interface RpmChange {
  atMs: number
  rpm: number
}

function parseRpmChange(text: string): RpmChange {
  const match = /^\s*(\d+(?:\.\d+)?)\s*=\s*(\d+)\s*$/.exec(text)
  const rpm = Number(match?.[2])
  if (match === null || !Number.isSafeInteger(rpm) || rpm < 1) {
    throw new TypeError(`--rpm-at must be SECONDS=RPM with RPM an integer of 1 or more (\`20=150\`: 150 a minute from 20 s on), got \`${text}\``)
  }
  return { atMs: Number(match[1]) * 1000, rpm }
}
