// DATABASE_READ_URL on a real streaming replica: anonymous catalogue and search reads go to the replica, a
// client with a token reads on the primary, and a client's reads after its own write stay on the primary
// (read-your-writes). Replay on the replica is paused while it matters, so which server answered shows in the
// answer. PostgreSQL only; needs pg_basebackup and the right to add a replication line to pg_hba.conf.
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quickUsers } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, type TestUser, usingPostgres } from '../helpers.js'
import { allowReplication, type Replica, replicaSupported, startReplica } from './replica.js'

const enabled = usingPostgres() && replicaSupported()

describe.skipIf(!enabled)('reads on a streaming replica (DATABASE_READ_URL)', () => {
  let primaryApp: App
  let app: App
  let replica: Replica
  let standby: pg.Client
  let organizer: TestUser

  /** Waits until the replica has replayed everything the primary has written so far. */
  async function caughtUp() {
    const { rows } = await primaryApp.database.pool!.query<{ lsn: string }>(
      'select pg_current_wal_lsn()::text as lsn',
    )
    for (let i = 0; i < 200; i++) {
      const r = await standby.query<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [
        rows[0]!.lsn,
      ])
      if (r.rows[0]!.ok) return
      await sleep(50)
    }
    throw new Error('the replica did not catch up')
  }
  const pauseReplay = () => standby.query('select pg_wal_replay_pause()')
  const resumeReplay = () => standby.query('select pg_wal_replay_resume()')

  beforeAll(async () => {
    // The database under test, made on the primary; the replica is copied after, so it has it too.
    primaryApp = await buildTestApp()
    const primaryUrl = primaryApp.config.DATABASE_URL!
    await allowReplication(primaryUrl)
    replica = await startReplica(primaryUrl)
    standby = new pg.Client({ connectionString: replica.urlFor(primaryUrl) })
    await standby.connect()
    app = await buildTestApp({
      DATABASE_URL: primaryUrl,
      DATABASE_READ_URL: replica.urlFor(primaryUrl),
      DATABASE_READ_STICKY: '30',
    })
    ;[organizer] = (await quickUsers(app, 1)) as [TestUser]
  }, 120_000)
  afterAll(async () => {
    await standby?.query('select pg_wal_replay_resume()').catch(() => {})
    await standby?.end()
    await app?.close()
    await primaryApp?.close()
    await replica?.stop()
  })

  it('when a row changes on the primary while replay is paused, then anonymous reads show the replica, token holders the primary', async () => {
    const event = await makeEvent(app, organizer, { title: 'Replicated title' })
    await caughtUp()
    await pauseReplay()
    try {
      await app.ctx.db.execute(sql`update events set title = 'Primary only' where id = ${event.id}`)
      const anonymous = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
      const signedIn = await app.inject({
        method: 'GET',
        url: `/api/v1/events/${event.id}`,
        headers: organizer.auth,
      })
      const list = await app.inject({ method: 'GET', url: '/api/v1/events?q=Primary%20only' })
      const search = await app.inject({
        method: 'GET',
        url: '/api/v1/search?q=Replicated%20title&type=events',
      })
      expect({
        anonymous: anonymous.json().title,
        signedIn: signedIn.json().title,
        listed: list.json().total,
        searched: search.json().events?.map((e: { id: number }) => e.id),
      }).toEqual({ anonymous: 'Replicated title', signedIn: 'Primary only', listed: 0, searched: [event.id] })
    } finally {
      await resumeReplay()
    }
    await caughtUp()
    expect((await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })).json().title).toBe(
      'Primary only',
    )
  })

  it('when a client writes, then its next anonymous reads stay on the primary while others still read the replica', async () => {
    const event = await makeEvent(app, organizer, { title: 'Old title' })
    await caughtUp()
    await pauseReplay()
    try {
      const edit = await app.inject({
        method: 'PATCH',
        url: `/api/v1/events/${event.id}`,
        headers: organizer.auth,
        payload: { title: 'New title' },
      })
      expect(edit.statusCode).toBe(200)
      const cookie = String(edit.headers['set-cookie']).split(';')[0]!
      expect(cookie).toMatch(/^stagedoor_rw=/)
      const url = `/api/v1/events/${event.id}`
      const author = await app.inject({ method: 'GET', url, headers: { cookie } })
      const etag = String(author.headers.etag)
      const revalidated = await app.inject({ method: 'GET', url, headers: { cookie, 'if-none-match': etag } })
      // Control: the same read without the marker is served by the paused replica, so the marker is what routed.
      const someoneElse = await app.inject({ method: 'GET', url })
      expect({
        author: author.json().title,
        revalidated: revalidated.statusCode,
        someoneElse: someoneElse.json().title,
      }).toEqual({ author: 'New title', revalidated: 304, someoneElse: 'Old title' })
    } finally {
      await resumeReplay()
    }
  })
})
