import { readFileSync } from 'node:fs'
import { UsageError } from '../errors.js'

/** `--prompt-file FILE` as the `prompt` option: read once, before anything runs; a template file's own errors name the flag `--prompt`. */
export function withPromptFile<T extends { prompt?: string | undefined }>(options: T, promptFile: string | undefined): T {
  if (promptFile === undefined) return options
  if (options.prompt !== undefined) throw new UsageError('--prompt and --prompt-file both give the instruction: keep one')
  let text: string
  try {
    text = readFileSync(promptFile, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new UsageError(`cannot read --prompt-file \`${promptFile}\`: ${code === 'ENOENT' ? 'no such file' : code}`)
  }
  return { ...options, prompt: text.replace(/^\uFEFF/, '') }
}
