// Event cancellation racing payments, reservations and the sweep, on real PostgreSQL.
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invoices, payments, tickets } from '../../src/db/schema/index.js'
import { expireStaleHolds } from '../../src/modules/reservations/reservations.expiry.js'
import {
  buildBoxOfficeApp,
  makeEvent,
  payAs,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { type App, usingPostgres } from '../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())

let app: App
beforeAll(async () => {
  if (usingPostgres()) app = await buildBoxOfficeApp({ DATABASE_POOL_MAX: '20' })
})
afterAll(() => app?.close())

describe('POST /events/{id}/cancel under concurrency', () => {
  onPostgres(
    'when payments, new reservations and a sweep race the cancellation, then nothing stays live and money adds up',
    async () => {
      const [organizer, ...people] = await quickUsers(app, 41)
      const { event, sections } = await makeEvent(app, {
        organizerId: organizer!.id,
        sections: [{ capacity: 60 }, { rows: 4, seatsPerRow: 10 }],
      })
      const payers = people.slice(0, 20)
      const late = people.slice(20)
      const made = []
      for (const [i, p] of payers.entries()) {
        const res = await reserveAs(app, p, event.id, { section_id: sections[i % 2]!.id, quantity: 2 })
        made.push({ person: p, invoiceId: res.json().invoices[0].id as number })
      }
      const answers = await Promise.all([
        ...made.map((m) => payAs(app, m.person, m.invoiceId)),
        ...late.map((p, i) => reserveAs(app, p, event.id, { section_id: sections[i % 2]!.id, quantity: 1 })),
        app.inject({ method: 'POST', url: `/api/v1/events/${event.id}/cancel`, headers: organizer!.auth }),
        expireStaleHolds(app.ctx).then(() => ({ statusCode: 0 })),
      ])
      for (const a of answers) expect([0, 200, 201, 409]).toContain(a.statusCode)

      const live = await app.ctx.db
        .select({ n: sql<number>`count(*)::int` })
        .from(tickets)
        .where(sql`${tickets.eventId} = ${event.id} and ${tickets.status} in ('held', 'confirmed')`)
      expect(live[0]!.n).toBe(0)
      for (const s of sections) {
        expect(await sectionCounts(app, s.id)).toEqual({
          held: 0,
          sold: 0,
          heldTickets: 0,
          confirmedTickets: 0,
        })
      }
      const bills = await app.ctx.db.select().from(invoices).where(eq(invoices.eventId, event.id))
      for (const bill of bills) {
        expect(['void', 'refunded']).toContain(bill.status)
        const moves = await app.ctx.db.select().from(payments).where(eq(payments.invoiceId, bill.id))
        const charged = moves.filter((m) => m.kind === 'charge').reduce((n, m) => n + m.amountCents, 0)
        const refunded = moves.filter((m) => m.kind === 'refund').reduce((n, m) => n + m.amountCents, 0)
        expect([bill.status, charged, refunded, bill.refundedCents]).toEqual(
          bill.status === 'refunded'
            ? ['refunded', bill.amountCents, bill.amountCents, bill.amountCents]
            : ['void', 0, 0, 0],
        )
      }
    },
  )
})
