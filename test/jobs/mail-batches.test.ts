// A backlog of e-mails (a sale opening) drains batch after batch without waiting for the next poll.
// PostgreSQL only: the backlog is written by one app and sent by another's worker, on the same database.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildApp } from '../../src/app.js'
import { rowsOf } from '../../src/db/client.js'
import { buildTestApp, registerUser, type App as TestApp, usingPostgres } from '../helpers.js'
import { type Inbox, startInbox, waitUntil } from '../mail/inbox.js'
import { mailJobs } from './helpers.js'

let api: TestApp
let worker: App | undefined
let inbox: Inbox
beforeAll(async () => {
  if (!usingPostgres()) return
  inbox = await startInbox()
  api = await buildTestApp({ WORKERS_IN_PROCESS: 'false', SMTP_URL: inbox.url })
})
afterAll(async () => {
  await worker?.close()
  await api?.close()
  await inbox?.close()
})

describe.runIf(usingPostgres())('mail worker batches', () => {
  it('when 23 e-mails wait, then batches of 5 go out one after the other, not one per polling interval', async () => {
    const people = await Promise.all(Array.from({ length: 23 }, () => registerUser(api)))
    expect((await mailJobs(api)).filter((j) => j.state === 'created')).toHaveLength(23)

    // A polling interval of a minute: only fetching again at once after a full batch can send all 23 (five
    // batches) within the 20 s the inbox waits.
    worker = await buildApp({
      ...api.config,
      WORKERS_IN_PROCESS: true,
      JOBS_POLL_INTERVAL: 60,
      JOBS_MAIL_BATCH: 5,
    })
    await worker.ready()
    const received = await inbox.waitFor(23)
    expect(new Set(received.flatMap((m) => m.to))).toEqual(new Set(people.map((p) => p.email)))
    // Each job is marked completed just after its message went out.
    const jobs = await waitUntil(async () => {
      const rows = await rowsOf<{ state: string; outcome: string }>(
        api.ctx.db,
        sql`select state::text, output->>'outcome' as outcome from pgboss.job where name = 'mail'`,
      )
      return rows.every((r) => r.state === 'completed') ? rows : undefined
    })
    expect(jobs).toEqual(Array(23).fill({ state: 'completed', outcome: 'sent' }))
  })
})
