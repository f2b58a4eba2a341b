// A pool keeps the connections it opened through a lull (DATABASE_POOL_MIN, by default all of them), so the
// next burst does not pay for new backends and each statement's first parse and plan on them.
// PostgreSQL only (PGlite has no pool).
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/client.js'
import { buildTestApp, emptyPostgresDatabase, usingPostgres } from '../helpers.js'

describe.skipIf(!usingPostgres())('the connection pool after a lull', () => {
  const admin = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 1 })
  afterAll(() => admin.end())

  /** The backends connected to `url`'s database, as PostgreSQL counts them. */
  async function backends(url: string): Promise<number> {
    const name = new URL(url).pathname.slice(1)
    const { rows } = await admin.query<{ n: number }>(
      'select count(*)::int n from pg_stat_activity where datname = $1',
      [name],
    )
    return rows[0]!.n
  }

  /**
   * Opens three connections at once, then lets them sit idle for ten idle timeouts. The three are checked out
   * together, so the pool must open three: three queries at once could share one whose connect was slow (a busy
   * CI machine once saw 1).
   */
  async function afterLull(poolMin: number) {
    const url = await emptyPostgresDatabase()
    const database = await openDatabase({ databaseUrl: url, poolMax: 3, poolMin, idleTimeoutMs: 50 })
    try {
      const clients = await Promise.all([1, 2, 3].map(() => database.pool!.connect()))
      for (const client of clients) client.release()
      expect(database.pool!.totalCount).toBe(3)
      await sleep(500)
      return { pooled: database.pool!.totalCount, backends: await backends(url) }
    } finally {
      await database.close()
    }
  }

  it('keeps DATABASE_POOL_MIN connections open however long they sit idle', async () => {
    expect(await afterLull(3)).toEqual({ pooled: 3, backends: 3 })
    expect(await afterLull(1)).toEqual({ pooled: 1, backends: 1 })
  })

  it('control: with DATABASE_POOL_MIN=0 a lull closes them all', async () => {
    expect(await afterLull(0)).toEqual({ pooled: 0, backends: 0 })
  })

  it("the server's pools keep every connection by default", async () => {
    const app = await buildTestApp({ DATABASE_POOL_MAX: '7' })
    try {
      expect(app.database.pool!.options).toMatchObject({ max: 7, min: 7 })
    } finally {
      await app.close()
    }
  })
})
