// Two runs of the same attempt of one delivery at once (a redelivery beside a due retry, a job handed on
// while its first worker still runs): both may send, but the attempt is recorded once and one next attempt
// is scheduled. The control records unconditionally, and the retry chain forks.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliverWebhook } from '../../src/modules/webhooks/webhooks.deliver.js'
import { buildBoxOfficeApp, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, type TestUser, usingPostgres } from '../helpers.js'
import { jobRows } from '../jobs/helpers.js'
import { type Receiver, startReceiver } from './receiver.js'

let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
  receiver.answer = 500
  // Each run is still waiting for its answer when the other has read the row.
  receiver.delayMs = 300
})
afterAll(() => receiver.close())

async function oneDelivery(app: App, path: string): Promise<number> {
  const [organizer, buyer] = (await quickUsers(app, 2)) as [TestUser, TestUser]
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/users/me/webhooks',
    headers: organizer.auth,
    payload: { url: `http://127.0.0.1:${receiver.port}/${path}`, events: ['ticket.confirmed'] },
  })
  expect(res.statusCode).toBe(201)
  const event = await makeEvent(app, organizer)
  const made = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
  expect((await payAs(app, buyer, made.invoices[0].id)).statusCode).toBe(200)
  const result = (await app.ctx.db.execute(
    sql`select d.id from webhook_deliveries d where d.endpoint_id = ${res.json().id}`,
  )) as unknown as { rows: { id: number }[] }
  return result.rows[0]!.id
}

/** Runs attempt 1 of the delivery twice at once; returns the row and the attempt-2 jobs scheduled. */
async function raceAttempt(app: App, path: string) {
  const id = await oneDelivery(app, path)
  const outcomes = await Promise.all(
    [1, 2].map(() => deliverWebhook(app.ctx, { deliveryId: id, attempt: 1 })),
  )
  const [row] = (
    (await app.ctx.db.execute(
      sql`select status, attempts from webhook_deliveries where id = ${id}`,
    )) as unknown as { rows: { status: string; attempts: number }[] }
  ).rows
  const next = await jobRows(
    app,
    sql`name = 'webhook' and (data->>'deliveryId')::int = ${id} and (data->>'attempt')::int = 2`,
  )
  return { outcomes, row, next, sent: receiver.to(path).length }
}

/** A box-office app on PostgreSQL for the enclosing suite, with `guards` switched off for the control. */
function webhookRaceApp(guards = ''): () => App {
  let app: App | undefined
  beforeAll(async () => {
    if (!usingPostgres()) return
    app = await buildBoxOfficeApp({
      WEBHOOKS_ALLOW_PRIVATE: 'true',
      // The next attempt waits in the queue: nothing runs it here (no workers), the test counts it.
      WEBHOOKS_RETRY_DELAY: '30',
      UNSAFE_DISABLE_GUARDS: guards,
    })
  })
  afterAll(() => app?.close())
  return () => app!
}

describe.skipIf(!usingPostgres())('two runs of one webhook attempt at once', () => {
  const app = webhookRaceApp()

  it('both send, one records the attempt, and one next attempt is scheduled', async () => {
    const { outcomes, row, next, sent } = await raceAttempt(app(), 'race')
    expect(sent).toBe(2)
    expect(outcomes.sort()).toEqual(['retrying', 'stale'])
    expect(row).toEqual({ status: 'pending', attempts: 1 })
    expect(next).toHaveLength(1)
  })
})

describe.skipIf(!usingPostgres())(
  'control: the attempt recorded unconditionally (webhook-attempt off)',
  () => {
    const app = webhookRaceApp('webhook-attempt')

    it('both runs record and each schedules a next attempt: the retries fork', async () => {
      const { outcomes, next, sent } = await raceAttempt(app(), 'forked')
      expect(sent).toBe(2)
      expect(outcomes).toEqual(['retrying', 'retrying'])
      expect(next).toHaveLength(2)
    })
  },
)
