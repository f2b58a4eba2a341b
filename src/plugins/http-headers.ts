// Headers every response carries: helmet's security headers and the request id.
//
// With the options used here (no CSP, so no per-request nonce) helmet's headers are the same for every response,
// so they are computed once at boot by helmet itself and copied onto each reply. Running helmet's middleware
// chain per request (as @fastify/helmet does) cost ~10% of the CPU of a trivial route.
import type { IncomingMessage, ServerResponse } from 'node:http'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

export const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: { policy: 'same-site' },
  // The site's own pages say where a form was sent from (a form sent after the session lapsed returns there after
  // the login); no address leaves for another site. helmet's default, no-referrer, sends nothing at all.
  referrerPolicy: { policy: 'same-origin' },
}

/** The headers helmet sets with `options`, captured by running it once against a recording response. */
export function helmetHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failed: unknown
  helmet(options)(
    {} as IncomingMessage,
    // helmet only calls setHeader and removeHeader on the response.
    recorder as unknown as ServerResponse,
    (err?: unknown) => {
      failed = err
    },
  )
  if (failed) throw failed
  return headers
}

export default fp(
  async (app) => {
    const security = helmetHeaders(HELMET_OPTIONS)
    // A synchronous hook: no promise per request.
    app.addHook('onRequest', (req, reply, done) => {
      reply.headers(security)
      reply.header('x-request-id', req.id)
      done()
    })
  },
  { name: 'http-headers' },
)
