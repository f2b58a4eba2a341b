// Payment racing expiry, the per-user limit and Idempotency-Key under concurrent requests, on real PostgreSQL.
import { and, count, eq, inArray, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invoices, payments, reservations, tickets } from '../../src/db/schema/index.js'
import { expireStaleHolds } from '../../src/modules/reservations/reservations.expiry.js'
import { buildBoxOfficeApp, makeEvent, quickUsers, sectionCounts } from '../factories/boxoffice.js'
import { type App, usingPostgres } from '../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())

let app: App
beforeAll(async () => {
  if (usingPostgres()) app = await buildBoxOfficeApp({ DATABASE_POOL_MAX: '20' })
})
afterAll(() => app?.close())

const reserve = (user: { auth: Record<string, string> }, eventId: number, body: object, key?: string) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/events/${eventId}/reservations`,
    headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  })

const pay = (user: { auth: Record<string, string> }, invoiceId: number, key?: string) =>
  app.inject({
    method: 'POST',
    url: `/api/v1/invoices/${invoiceId}/pay`,
    headers: { ...user.auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload: { payment_method: 'test_ok' },
  })

describe('POST /invoices/{id}/pay racing the expiry sweep', () => {
  onPostgres(
    'when payments and sweeps hit invoices falling due, then each is paid or expired, never half',
    async () => {
      const [organizer, ...people] = await quickUsers(app, 31)
      const { event, sections } = await makeEvent(app, {
        organizerId: organizer!.id,
        sections: [{ capacity: 40 }],
      })
      const section = sections[0]!
      const made = []
      for (const p of people) {
        const res = await reserve(p, event.id, { section_id: section.id, quantity: 1 })
        expect(res.statusCode).toBe(201)
        made.push({ person: p, reservation: res.json() })
      }
      // Every invoice falls due within the next 800 ms; payments start at random moments in the same window
      // while sweeps run back to back, so some payments come first and some expiries do.
      const ids = made.map((m) => m.reservation.id as number)
      await app.ctx.db.execute(sql`
      with due as (select id, now() + (random() * interval '800 milliseconds') as at from reservations
                   where id in ${ids})
      update invoices set due_at = due.at from due where invoices.reservation_id = due.id`)
      await app.ctx.db.execute(
        sql`update reservations set expires_at = invoices.due_at from invoices where invoices.reservation_id = reservations.id and reservations.id in ${ids}`,
      )
      const sweeps = (async () => {
        for (let i = 0; i < 8; i++) {
          await expireStaleHolds(app.ctx)
          await new Promise((r) => setTimeout(r, 5))
        }
      })()
      const answers = await Promise.all(made.map((m) => pay(m.person, m.reservation.invoices[0].id)))
      await sweeps
      await new Promise((r) => setTimeout(r, 50))
      await expireStaleHolds(app.ctx)

      let paid = 0
      for (const [i, res] of answers.entries()) {
        const invoiceId = made[i]!.reservation.invoices[0].id
        const [invoice] = await app.ctx.db.select().from(invoices).where(eq(invoices.id, invoiceId))
        const [ticket] = await app.ctx.db
          .select()
          .from(tickets)
          .where(eq(tickets.reservationId, made[i]!.reservation.id))
        const [charges] = await app.ctx.db
          .select({ n: count() })
          .from(payments)
          .where(eq(payments.invoiceId, invoiceId))
        if (res.statusCode === 200) {
          paid++
          expect([invoice!.status, ticket!.status, charges!.n]).toEqual(['paid', 'confirmed', 1])
        } else {
          expect([res.statusCode, res.json().code]).toEqual([409, 'INVOICE_NOT_OPEN'])
          expect([invoice!.status, ticket!.status, charges!.n]).toEqual(['expired', 'expired', 0])
        }
      }
      console.info(`payment vs sweep: ${paid} paid, ${answers.length - paid} expired`)
      expect(await sectionCounts(app, section.id)).toEqual({
        held: 0,
        sold: paid,
        heldTickets: 0,
        confirmedTickets: paid,
      })
    },
  )
})

describe('DELETE /tickets/{id} racing the payment of its invoice', () => {
  onPostgres(
    'when a ticket is given back while its invoice is paid, then the charge, refunds and counters agree',
    async () => {
      const [organizer, ...people] = await quickUsers(app, 16)
      const { event, sections } = await makeEvent(app, {
        organizerId: organizer!.id,
        sections: [{ capacity: 40 }],
      })
      const section = sections[0]!
      const made = []
      for (const p of people)
        made.push({ p, r: (await reserve(p, event.id, { section_id: section.id, quantity: 2 })).json() })
      await Promise.all(
        made.flatMap(({ p, r }) => [
          pay(p, r.invoices[0].id),
          app.inject({ method: 'DELETE', url: `/api/v1/tickets/${r.tickets[0].id}`, headers: p.auth }),
        ]),
      )
      let sold = 0
      for (const { r } of made) {
        const [invoice] = await app.ctx.db.select().from(invoices).where(eq(invoices.id, r.invoices[0].id))
        const moves = await app.ctx.db.select().from(payments).where(eq(payments.invoiceId, invoice!.id))
        const charged = moves.filter((m) => m.kind === 'charge').reduce((n, m) => n + m.amountCents, 0)
        const refunded = moves.filter((m) => m.kind === 'refund').reduce((n, m) => n + m.amountCents, 0)
        const states = (await app.ctx.db.select().from(tickets).where(eq(tickets.reservationId, r.id))).map(
          (t) => t.status,
        )
        // Paid first: both confirmed, then one refunded. Released first: one line left, charged for it alone.
        expect([invoice!.status, states.sort(), charged, refunded, invoice!.refundedCents]).toEqual([
          'paid',
          ['cancelled', 'confirmed'],
          invoice!.amountCents,
          invoice!.amountCents - 4500,
          invoice!.amountCents - 4500,
        ])
        sold += 1
      }
      expect(await sectionCounts(app, section.id)).toEqual({
        held: 0,
        sold,
        heldTickets: 0,
        confirmedTickets: sold,
      })
    },
  )
})

describe('POST /events/{id}/reservations: the per-user limit under concurrency', () => {
  onPostgres(
    'when one user sends 10 reservations at once with a limit of 4, then exactly 4 succeed',
    async () => {
      const [organizer, buyer] = await quickUsers(app, 2)
      const { event, sections } = await makeEvent(app, {
        organizerId: organizer!.id,
        maxTicketsPerUser: 4,
        sections: [{ capacity: 50 }, { capacity: 50, name: 'Balcony' }],
      })
      // Two sections, so that the section's row lock cannot be what serialises them.
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => reserve(buyer!, event.id, { section_id: sections[i % 2]!.id })),
      )
      expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(4)
      expect(answers.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual(
        Array(6).fill('TICKET_LIMIT_EXCEEDED'),
      )
      const [held] = await app.ctx.db
        .select({ n: count() })
        .from(tickets)
        .where(and(eq(tickets.eventId, event.id), eq(tickets.bookerId, buyer!.id)))
      expect(held!.n).toBe(4)
    },
  )
})

describe('Idempotency-Key sent twice at once', () => {
  onPostgres(
    'when the same reservation is sent 5 times at once with one key, then one reservation is made',
    async () => {
      const [organizer, buyer] = await quickUsers(app, 2)
      const { event, sections } = await makeEvent(app, {
        organizerId: organizer!.id,
        sections: [{ capacity: 10 }],
      })
      const body = { section_id: sections[0]!.id, quantity: 2 }
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => reserve(buyer!, event.id, body, 'same-key')),
      )
      const made = answers.filter((r) => r.statusCode === 201)
      expect(made.length).toBeGreaterThanOrEqual(1)
      expect(new Set(made.map((r) => r.json().id)).size).toBe(1)
      for (const r of answers.filter((r) => r.statusCode !== 201)) {
        expect([r.statusCode, r.json().code]).toEqual([409, 'IDEMPOTENCY_KEY_IN_USE'])
      }
      const [rows] = await app.ctx.db
        .select({ n: count() })
        .from(reservations)
        .where(eq(reservations.bookerId, buyer!.id))
      expect(rows!.n).toBe(1)
      expect(await sectionCounts(app, sections[0]!.id)).toMatchObject({ held: 2, heldTickets: 2 })
    },
  )

  onPostgres('when one invoice is paid 5 times at once with one key, then it is charged once', async () => {
    const [organizer, buyer] = await quickUsers(app, 2)
    const { event, sections } = await makeEvent(app, { organizerId: organizer!.id })
    const invoiceId = (await reserve(buyer!, event.id, { section_id: sections[0]!.id })).json().invoices[0].id
    const answers = await Promise.all(Array.from({ length: 5 }, () => pay(buyer!, invoiceId, 'pay-once')))
    expect(answers.filter((r) => r.statusCode === 200).length).toBeGreaterThanOrEqual(1)
    for (const r of answers.filter((r) => r.statusCode !== 200)) {
      expect([r.statusCode, r.json().code]).toEqual([409, 'IDEMPOTENCY_KEY_IN_USE'])
    }
    const [charges] = await app.ctx.db
      .select({ n: count() })
      .from(payments)
      .where(and(eq(payments.invoiceId, invoiceId), eq(payments.kind, 'charge')))
    expect(charges!.n).toBe(1)
  })

  onPostgres(
    'when one invoice is paid 5 times at once without a key, then one payment wins and the rest get 409 INVOICE_NOT_OPEN',
    async () => {
      const [organizer, buyer] = await quickUsers(app, 2)
      const { event, sections } = await makeEvent(app, { organizerId: organizer!.id })
      const invoiceId = (await reserve(buyer!, event.id, { section_id: sections[0]!.id })).json().invoices[0]
        .id
      const answers = await Promise.all(Array.from({ length: 5 }, () => pay(buyer!, invoiceId)))
      expect(answers.filter((r) => r.statusCode === 200)).toHaveLength(1)
      expect(answers.filter((r) => r.statusCode === 409).map((r) => r.json().code)).toEqual(
        Array(4).fill('INVOICE_NOT_OPEN'),
      )
      const [charges] = await app.ctx.db
        .select({ n: count() })
        .from(payments)
        .where(inArray(payments.invoiceId, [invoiceId]))
      expect(charges!.n).toBe(1)
      expect(await sectionCounts(app, sections[0]!.id)).toEqual({
        held: 0,
        sold: 1,
        heldTickets: 0,
        confirmedTickets: 1,
      })
    },
  )
})
