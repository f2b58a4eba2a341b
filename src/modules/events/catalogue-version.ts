// The catalogue's version stamp, shared by every server process on every host: a write that may change an event
// page replaces it before its answer leaves, and a process serves a cached page only while the stamp it was read
// at is still current. Since the check of a request starts after the request arrived, and the write replaced the
// stamp before it was acknowledged, no process serves a cached page older than a write acknowledged to anyone.
//
// The stamp lives in Redis when REDIS_URL is set (a random token, so that a Redis restart that loses the key can
// never bring an old value back), else in a PostgreSQL sequence (migration 0009), else — the embedded database,
// one process — in memory. Checks are coalesced: requests that arrive while one check is on its way wait for the
// next one, so a busy process sends about one small read per round trip, whatever its request rate.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type pg from 'pg'

export interface VersionStore {
  /** The current stamp, read now; null when it cannot be known (then nothing may be served from a cache). */
  read(): Promise<string | null>
  /** Replaces the stamp. */
  bump(): Promise<void>
}

/** One process, nothing shared: a counter. */
export class LocalVersionStore implements VersionStore {
  private n = 0
  async read(): Promise<string> {
    return String(this.n)
  }
  async bump(): Promise<void> {
    this.n++
  }
}

// A day: the key of a database nobody writes to any more (a dropped test database) goes away by itself.
const KEY_TTL_SECONDS = 86_400

export class RedisVersionStore implements VersionStore {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async read(): Promise<string | null> {
    const stamp = await this.redis.get(this.key)
    if (stamp !== null) return stamp
    // No stamp yet (or Redis lost it): start one. This read counts as unknown, so nothing cached before the
    // loss can match.
    await this.redis.set(this.key, token(), 'EX', KEY_TTL_SECONDS, 'NX')
    return null
  }

  async bump(): Promise<void> {
    await this.redis.set(this.key, token(), 'EX', KEY_TTL_SECONDS)
  }
}

export class PostgresVersionStore implements VersionStore {
  constructor(private readonly pool: pg.Pool) {}

  async read(): Promise<string> {
    const { rows } = await this.pool.query<{ v: string }>({
      name: 'catalogue_version_read',
      // is_called too: the first nextval leaves last_value as it was and only sets is_called.
      text: "select last_value::text || ':' || is_called::text as v from catalogue_version",
    })
    return rows[0]!.v
  }

  async bump(): Promise<void> {
    await this.pool.query({ name: 'catalogue_version_bump', text: "select nextval('catalogue_version')" })
  }
}

const token = () => randomBytes(9).toString('base64url')

/**
 * Reads the stamp at most once at a time: a caller gets the result of a read sent after its call. While one
 * read is on its way, later callers share the next one, which is sent as soon as the first answers. Bumps are
 * coalesced the same way: a write's bump is one sent after the call (so after its commit) and answered before
 * the write is acknowledged, shared by the writes that came meanwhile. A busy process thus replaces the stamp
 * about once per round trip instead of once per write (the reservation bench lost a fifth of its rate to one
 * `nextval` per reservation).
 */
export class CoalescedVersion {
  private inFlight: Promise<string | null> | null = null
  private queued: Promise<string | null> | null = null
  /** Reads sent to the store (tests and the bench compare it with the requests served). */
  reads = 0

  constructor(private readonly store: VersionStore) {}

  current(): Promise<string | null> {
    if (this.queued) return this.queued
    if (!this.inFlight) return this.send()
    const after = this.inFlight
    this.queued = after.then(
      () => this.send(),
      () => this.send(),
    )
    return this.queued
  }

  private bumpInFlight: Promise<void> | null = null
  private bumpQueued: Promise<void> | null = null
  /** Bumps sent to the store. */
  bumps = 0

  bump(): Promise<void> {
    if (this.bumpQueued) return this.bumpQueued
    if (!this.bumpInFlight) return this.sendBump()
    const after = this.bumpInFlight
    this.bumpQueued = after.then(
      () => this.sendBump(),
      () => this.sendBump(),
    )
    return this.bumpQueued
  }

  private sendBump(): Promise<void> {
    this.bumpQueued = null
    this.bumps++
    const bump = this.store.bump()
    this.bumpInFlight = bump
    const done = () => {
      if (this.bumpInFlight === bump) this.bumpInFlight = null
    }
    bump.then(done, done)
    return bump
  }

  private send(): Promise<string | null> {
    this.queued = null
    this.reads++
    const read = this.store.read().catch(() => null)
    this.inFlight = read
    void read.then(() => {
      if (this.inFlight === read) this.inFlight = null
    })
    return read
  }
}
