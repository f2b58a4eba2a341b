// A real webhook receiver for tests: node:http on a port of its own, recording every request it gets and
// answering what the test tells it to (a status, or nothing at all: a hang).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface Received {
  path: string
  headers: IncomingHttpHeaders
  body: string
  at: number
}

export interface Receiver {
  port: number
  url: string
  received: Received[]
  /** What the next requests get: a status code, or 'hang' (never answer). Default 204. */
  answer: number | 'hang'
  /** Milliseconds to wait before answering. */
  delayMs: number
  close(): Promise<void>
  /** The requests that came to `/<path>`. */
  to(path: string): Received[]
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const hanging = new Set<() => void>()
  const receiver: Receiver = {
    port: 0,
    url: '',
    received: [],
    answer: 204,
    delayMs: 0,
    to: (path) => receiver.received.filter((r) => r.path === `/${path}`),
    close: async () => {
      for (const end of hanging) end()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    req.on('end', () => {
      receiver.received.push({ path: req.url ?? '', headers: req.headers, body, at: Date.now() })
      const answer = receiver.answer
      if (answer === 'hang') {
        hanging.add(() => res.destroy())
        return
      }
      if (answer >= 300 && answer < 400) res.setHeader('location', `${receiver.url}/elsewhere`)
      res.statusCode = answer
      setTimeout(() => res.end(), receiver.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  receiver.port = (server.address() as AddressInfo).port
  receiver.url = `http://127.0.0.1:${receiver.port}/hook`
  return receiver
}

/** Verifies a received request with Standard Webhooks' own verifier; returns the parsed body. Throws if forged. */
export function verified(secret: string, r: Received): { type: string; timestamp: string; data: unknown } {
  const headers = {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }
  return new Webhook(secret).verify(r.body, headers) as { type: string; timestamp: string; data: unknown }
}
