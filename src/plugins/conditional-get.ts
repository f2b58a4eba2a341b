// Conditional GETs (RFC 9110 §13.1.2). @fastify/etag tags every answer (app.ts); this hook answers 304 where a 304
// means something: a GET or HEAD whose answer is a 200. The library's own 304 compared the header with one tag on
// any method and status, so a PATCH that came back with the tag its client sent in If-None-Match answered 304,
// without its body, after the write was done. Writes ignore If-None-Match, as a server that does not evaluate a
// write's preconditions may. The header is read as the RFC writes it: `*`, or a list of tags compared weakly.
// An error answer (4xx, 5xx) goes without the library's tag: it is no representation of the resource.
import fp from 'fastify-plugin'

const TAG = /(?:W\/)?"[^"]*"/g

/** Whether `ifNoneMatch` names `etag`, compared weakly (a W/ prefix on either side is ignored), or is `*`. */
function matchesAny(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag
  for (const [tag] of ifNoneMatch.matchAll(TAG)) {
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === opaque) return true
  }
  return false
}

export default fp(
  async (app) => {
    // A synchronous hook: no promise per answer.
    app.addHook('onSend', (req, reply, payload, done) => {
      if (reply.statusCode >= 400) {
        reply.removeHeader('etag')
        done(null, payload)
        return
      }
      const ifNoneMatch = req.headers['if-none-match']
      const etag = reply.getHeader('etag')
      if (
        ifNoneMatch === undefined ||
        typeof etag !== 'string' ||
        reply.statusCode !== 200 ||
        (req.method !== 'GET' && req.method !== 'HEAD') ||
        !matchesAny(ifNoneMatch, etag)
      ) {
        done(null, payload)
        return
      }
      reply.code(304)
      done(null, '')
    })
  },
  // After @fastify/etag, whose onSend sets the tag this reads.
  { name: 'conditional-get', dependencies: ['@fastify/etag'] },
)
