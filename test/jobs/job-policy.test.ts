// The invoice e-mail's job is written by the reservation's own statement (pg-boss's insert as a CTE): it must
// be the same job, with the same retry policy, as one enqueued through ctx.jobs.send.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rowsOf } from '../../src/db/client.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp({ JOBS_RETRY_LIMIT: '4', JOBS_RETRY_DELAY: '7', JOBS_EXPIRE: '90' })
})
afterAll(() => app?.close())

interface PolicyRow {
  kind: string
  data: Record<string, unknown>
  state: string
  retry_limit: number
  retry_delay: number
  retry_backoff: boolean
  expire_seconds: number
  policy: string
  keep_days: number
}

const jobsOf = (kind: string) =>
  rowsOf<PolicyRow>(
    app.ctx.db,
    sql`select data->>'kind' as kind, data, state::text, retry_limit, retry_delay, retry_backoff,
          extract(epoch from expire_in)::int as expire_seconds, policy,
          round(extract(epoch from keep_until - created_on) / 86400)::int as keep_days
        from pgboss.job where name = 'mail' and data->>'kind' = ${kind} order by created_on`,
  )

describe('the invoice e-mail job written with the reservation', () => {
  it('has the retry policy of every mail job, and carries the invoice as issued', async () => {
    const organizer = await registerUser(app)
    const buyer = await registerUser(app)
    const event = await makeEvent(app, organizer, {
      title: 'Policy Night',
      currency: 'EUR',
      sections: [{ name: 'Floor', kind: 'general', price_cents: 2500, capacity: 5 }],
    })
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/reservations`,
      headers: buyer.auth,
      payload: { section_id: event.sections[0].id, quantity: 2 },
    })
    expect(res.statusCode).toBe(201)
    const invoice = res.json().invoices[0]

    const [sent] = await jobsOf('verify-email')
    const [written] = await jobsOf('invoice-issued')
    const policy = ({ data: _d, kind: _k, ...rest }: PolicyRow) => rest
    expect(policy(written!)).toEqual(policy(sent!))
    expect(policy(written!)).toMatchObject({
      state: 'created',
      retry_limit: 4,
      retry_delay: 7,
      retry_backoff: true,
      expire_seconds: 90,
    })
    expect(written!.data).toEqual({
      kind: 'invoice-issued',
      userId: buyer.id,
      invoiceId: invoice.id,
      number: invoice.number,
      eventTitle: 'Policy Night',
      currency: 'EUR',
      amountCents: 5000,
      dueAt: invoice.due_at,
      lines: [
        { description: 'Policy Night: Floor', amountCents: 2500 },
        { description: 'Policy Night: Floor', amountCents: 2500 },
      ],
    })
  })
})
