// A short-lived, per-process cache of the anonymous catalogue (GET /events and GET /events/{id}).
// Any write this process handles empties it before its response leaves, so a client never reads its own write
// stale; writes by other processes (more workers, more hosts) or outside HTTP (the expiry sweep, the CLI) show
// after EVENTS_CACHE_TTL seconds and the time one read takes (see `tryServe`). Availability shown there is advisory: a reservation always checks the
// section counters under a lock, so a stale "available" never oversells.
import { hash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

interface Entry {
  body: string
  etag: string
  link: string | undefined
  expires: number
  /** When a request last set out to refresh this expired answer (0: none has). */
  refreshing: number
}

// A bound on memory, not a tuning knob: past it the cache starts over (a page of 100 events is ~100 KB).
const MAX_BYTES = 32 * 1024 * 1024

export class ResponseCache {
  private entries = new Map<string, Entry>()
  private generation = 0
  private bytes = 0
  constructor(private readonly ttlMs: number) {}

  /** Empties the cache; answers still being computed from older reads are not stored either. */
  invalidate(): void {
    this.generation++
    this.entries.clear()
    this.bytes = 0
  }

  /**
   * Sends the cached answer for `req`; true when it did. Once an answer has expired, the next request reads it
   * afresh and the ones that come meanwhile get the expired one: without that, every request in flight when it
   * expired went to the database at once (at 30,000 requests/s, a pile-up of 64 reads that held answers up
   * for up to 200 ms, every second). Should the refresh fail, another request tries after a TTL.
   */
  tryServe(req: FastifyRequest, reply: FastifyReply): boolean {
    if (this.ttlMs <= 0 || req.actor) return false
    const hit = this.entries.get(req.url)
    if (!hit) return false
    const now = Date.now()
    if (hit.expires <= now && now - hit.refreshing >= this.ttlMs) {
      hit.refreshing = now
      return false
    }
    reply.header('etag', hit.etag).type('application/json; charset=utf-8')
    if (hit.link) reply.header('link', hit.link)
    void reply.send(hit.body)
    return true
  }

  /**
   * Serialises `value` with the route's response schema and sends it, keeping a copy for anonymous callers
   * unless a write happened since `generation` (taken before the database read).
   */
  send(req: FastifyRequest, reply: FastifyReply, generation: number, value: unknown): FastifyReply {
    const serialized = reply.serialize(value)
    // The JSON serializer (fast-json-stringify from the route's response schema) always returns a string.
    const body = typeof serialized === 'string' ? serialized : JSON.stringify(value)
    const etag = `"${hash('sha1', body, 'base64url')}"`
    if (this.ttlMs > 0 && !req.actor && generation === this.generation) {
      if (this.bytes + body.length > MAX_BYTES) {
        this.entries.clear()
        this.bytes = 0
      }
      this.bytes += body.length - (this.entries.get(req.url)?.body.length ?? 0)
      const link = reply.getHeader('link')
      this.entries.set(req.url, {
        body,
        etag,
        link: typeof link === 'string' ? link : undefined,
        expires: Date.now() + this.ttlMs,
        refreshing: 0,
      })
    }
    return reply.header('etag', etag).type('application/json; charset=utf-8').send(body)
  }

  get currentGeneration(): number {
    return this.generation
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    eventsCache: ResponseCache
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

export default fp(
  async (app) => {
    const cache = new ResponseCache(app.config.EVENTS_CACHE_TTL * 1000)
    app.decorate('eventsCache', cache)
    // onSend runs after the handler's transaction committed and before the client sees the answer.
    app.addHook('onSend', async (req) => {
      if (!READS.has(req.method)) cache.invalidate()
    })
  },
  { name: 'events-cache', dependencies: ['context'] },
)
