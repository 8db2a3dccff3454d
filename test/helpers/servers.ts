import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { listen, type Listening } from '../../src/net/listen.js'

export interface TestServer extends Listening {
  /** The path and query of every request, in arrival order. */
  requests: string[]
}

/** A real HTTP server on 127.0.0.1 with a free port; the handler scripts each response. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    handler(req, res)
  })
  return { ...(await listen(server)), requests }
}

/** An HTML page with a real article body, long enough for Readability and the summarizer. */
export function articlePage(topic: string, sentences = 8): string {
  const body = Array.from(
    { length: sentences },
    (_, i) => `<p>Paragraph ${i + 1} explains ${topic} in more detail, with facts about ${topic} that matter to readers who want to understand ${topic} well.</p>`,
  ).join('\n')
  return `<!doctype html><html lang="en"><head><title>All about ${topic}</title></head><body><nav><a href="/">Home</a></nav><article><h1>All about ${topic}</h1>${body}</article><footer>Copyright</footer></body></html>`
}
