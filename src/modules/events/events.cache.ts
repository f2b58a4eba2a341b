// A short-lived, per-process cache of the anonymous catalogue (GET /events and GET /events/{id}), coherent across
// processes and hosts: every answer is kept with the catalogue's shared version stamp (catalogue-version.ts) read
// before its database read, and is served only while the stamp is unchanged. A write that may change an event
// page (any write outside the auth and social routes) replaces the stamp before its answer leaves, so nobody, on
// any process, reads a page or an ETag older than a write acknowledged to anyone. Writes outside HTTP (the expiry
// sweep, the CLI) do not replace it: they show after EVENTS_CACHE_TTL seconds and the time one read takes (see
// `tryServe`). Availability shown there is advisory: a reservation always checks the section counters under a
// lock, so a stale "available" never oversells.
import { hash } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { guardDisabled } from '../../lib/guards.js'
import { markRecentWrite, readsOwnWrites } from '../../plugins/db.js'
import {
  CoalescedVersion,
  LocalVersionStore,
  PostgresVersionStore,
  RedisVersionStore,
  type VersionStore,
} from './catalogue-version.js'

interface Rendered {
  body: string
  etag: string
  link: string | undefined
}

interface Entry extends Rendered {
  /** The catalogue's version stamp read before the database read this answer came from. */
  stamp: string
  expires: number
  /** When a request last set out to refresh this expired answer (0: none has). */
  refreshing: number
}

// A bound on memory, not a tuning knob: past it the cache starts over (a page of 100 events is ~100 KB).
const MAX_BYTES = 32 * 1024 * 1024

export class ResponseCache {
  private entries = new Map<string, Entry>()
  /** Reads under way, by stamp and URL. */
  private loading = new Map<string, Promise<Rendered>>()
  private generation = 0
  private bytes = 0
  constructor(
    readonly ttlMs: number,
    readonly version: CoalescedVersion,
  ) {}

  /** Whether this request may be answered from, and stored in, the cache: anonymous, and not just after its own write. */
  private cacheable(req: FastifyRequest): boolean {
    return this.ttlMs > 0 && !req.actor && !readsOwnWrites(req)
  }

  /** Empties the cache; answers still being computed from older reads are not stored either. */
  invalidate(): void {
    this.generation++
    this.entries.clear()
    this.bytes = 0
  }

  /**
   * Answers a catalogue GET: the cached answer while its stamp is the catalogue's, else `load()`'s value
   * serialised with the route's response schema (and kept when the request may be cached). Requests of this
   * process that carry the same stamp and URL share one `load`: its read started after that stamp was read, so
   * it shows every write acknowledged before any of them arrived. When writes replace the stamp many times a
   * second (an on-sale), each round of stamp checks still costs one database read per URL, not one per request.
   *
   * Once an answer has expired, the next request reads it afresh and the ones that come meanwhile get the expired
   * one: without that, every request in flight when it expired went to the database at once (at 30,000
   * requests/s, a pile-up of 64 reads that held answers up for up to 200 ms, every second). Should the refresh
   * fail, another request tries after a TTL.
   */
  async answer(
    req: FastifyRequest,
    reply: FastifyReply,
    load: () => Promise<unknown>,
  ): Promise<FastifyReply> {
    if (!this.cacheable(req)) return this.send(reply, this.render(reply, await load()))
    const generation = this.generation
    const stamp = await this.version.current()
    if (stamp === null) return this.send(reply, this.render(reply, await load()))
    const hit = this.entries.get(req.url)
    if (hit && hit.stamp === stamp) {
      const now = Date.now()
      if (hit.expires > now || now - hit.refreshing < this.ttlMs) return this.send(reply, hit)
      hit.refreshing = now
    }
    const key = `${stamp} ${req.url}`
    let shared = this.loading.get(key)
    if (!shared) {
      shared = load().then((value) => {
        const rendered = this.render(reply, value)
        if (generation === this.generation) this.store(req.url, stamp, rendered)
        return rendered
      })
      this.loading.set(key, shared)
      const done = () => this.loading.delete(key)
      shared.then(done, done)
    }
    return this.send(reply, await shared)
  }

  private render(reply: FastifyReply, value: unknown): Rendered {
    const serialized = reply.serialize(value)
    // The JSON serializer (fast-json-stringify from the route's response schema) always returns a string.
    const body = typeof serialized === 'string' ? serialized : JSON.stringify(value)
    const link = reply.getHeader('link')
    return {
      body,
      etag: `"${hash('sha1', body, 'base64url')}"`,
      link: typeof link === 'string' ? link : undefined,
    }
  }

  private store(url: string, stamp: string, rendered: Rendered): void {
    if (this.bytes + rendered.body.length > MAX_BYTES) {
      this.entries.clear()
      this.bytes = 0
    }
    this.bytes += rendered.body.length - (this.entries.get(url)?.body.length ?? 0)
    this.entries.set(url, { ...rendered, stamp, expires: Date.now() + this.ttlMs, refreshing: 0 })
  }

  private send(reply: FastifyReply, { body, etag, link }: Rendered): FastifyReply {
    if (link) reply.header('link', link)
    return reply.header('etag', etag).type('application/json; charset=utf-8').send(body)
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    eventsCache: ResponseCache
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

// Writes that cannot change an event page or an anonymous search: accounts and sessions, posts, comments,
// likes, messages and friendships. Every other write replaces the catalogue's stamp.
const UNRELATED_WRITES = [
  '/api/v1/auth/',
  '/api/v1/posts',
  '/api/v1/comments/',
  '/api/v1/conversations/',
  '/api/v1/friend-requests',
  '/api/v1/users/me/friend',
]

/** Whether a request may have changed what the anonymous catalogue shows. */
export function changesCatalogue(req: FastifyRequest): boolean {
  if (READS.has(req.method)) return false
  const route = req.routeOptions.url ?? req.url
  return !UNRELATED_WRITES.some((prefix) => route.startsWith(prefix))
}

function versionStore(app: FastifyInstance): VersionStore {
  const url = app.config.DATABASE_URL
  // Test-only control (UNSAFE_DISABLE_GUARDS=catalogue-version): a stamp of this process's own writes only.
  if (!url || guardDisabled(app.config, 'catalogue-version')) return new LocalVersionStore()
  if (app.redis) {
    // One stamp per database: several deployments (or test databases) may share one Redis.
    const { host, pathname } = new URL(url)
    return new RedisVersionStore(app.redis, `stagedoor:catalogue:${host}${pathname}`)
  }
  return new PostgresVersionStore(app.database.pool!)
}

export default fp(
  async (app) => {
    const cache = new ResponseCache(
      app.config.EVENTS_CACHE_TTL * 1000,
      new CoalescedVersion(versionStore(app)),
    )
    app.decorate('eventsCache', cache)
    // onSend runs after the handler's transaction committed and before the client sees the answer.
    app.addHook('onSend', async (req, reply) => {
      // A refused write changed nothing (its transaction rolled back).
      if (!changesCatalogue(req) || reply.statusCode >= 400) return
      cache.invalidate()
      markRecentWrite(req, reply)
      if (cache.ttlMs <= 0) return
      // Should the shared store be unreachable, other processes show the change after their TTL.
      await cache.version.bump().catch((err: Error) => {
        req.log.warn({ err: err.message }, 'catalogue version stamp not replaced')
      })
    })
  },
  { name: 'events-cache', dependencies: ['context', 'redis', 'db'] },
)
