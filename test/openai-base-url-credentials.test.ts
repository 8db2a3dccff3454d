import { afterEach, describe, expect, it, vi } from 'vitest'
import { runCli } from './helpers/cli.js'

// Never a real password: a marker that must not be echoed back.
const SECRET = 'pw-not-echoed-4821'

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('an OpenAI base URL with user:password@', () => {
  it('is a usage error naming --base-url and what to do, before any page is fetched, without echoing the password', async () => {
    const result = await runCli(['-', '--provider', 'openai', '--base-url', `http://reader:${SECRET}@127.0.0.1:9/v1`], { stdin: 'http://127.0.0.1:9/page\n' })
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('--base-url must not hold a user name or password, got `http://127.0.0.1:9/v1` with one')
    expect(result.stderr).toContain('put the key in OPENAI_API_KEY')
    expect(result.stderr).not.toContain(SECRET)
    expect(result.stderr).not.toContain('unexpected error from the OpenAI client')
  })

  it('from OPENAI_BASE_URL, is refused the same way with --provider openai', async () => {
    vi.stubEnv('OPENAI_BASE_URL', `http://reader:${SECRET}@127.0.0.1:9/v1`)
    vi.stubEnv('OPENAI_API_KEY', 'test')
    const result = await runCli(['-', '--provider', 'openai'], { stdin: 'http://127.0.0.1:9/page\n' })
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--provider openai: OPENAI_BASE_URL must not hold a user name or password (http://127.0.0.1:9/v1 has one)')
    expect(result.stderr).not.toContain(SECRET)
  })
})
