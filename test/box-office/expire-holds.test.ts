import { eq } from 'drizzle-orm'
import PgBoss from 'pg-boss'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { invoices, tickets } from '../../src/db/schema/index.js'
import { BOSS_SCHEMA, bossDbFor } from '../../src/jobs/boss.js'
import { SCHEDULED_JOBS } from '../../src/jobs/schedules.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import {
  buildBoxOfficeApp,
  getAs,
  lapseReservation,
  payAs,
  quickUsers,
  reserveAs,
  sectionCounts,
} from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import type { App, TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer] = (await quickUsers(app, 2)) as [TestUser, TestUser]
})
afterAll(() => app.close())

async function statusesOf(reservation: { id: number; invoices: { id: number }[] }) {
  const [invoice] = await app.ctx.db
    .select()
    .from(invoices)
    .where(eq(invoices.id, reservation.invoices[0]!.id))
  const rows = await app.ctx.db.select().from(tickets).where(eq(tickets.reservationId, reservation.id))
  return { invoice: invoice!.status, tickets: rows.map((t) => t.status) }
}

describe('expireStaleHolds (the sweep)', () => {
  it('when a reservation lapsed unpaid, then its invoice and tickets expire and the seats come back exactly once', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [{ rows: 1, seats_per_row: 4 }],
    })
    const section = event.sections[0]!
    const lapsed = (await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 2 })).json()
    const paid = (await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 1 })).json()
    expect((await payAs(app, buyer, paid.invoices[0].id)).statusCode).toBe(200)
    const live = (await reserveAs(app, buyer, event.id, { section_id: section.id, quantity: 1 })).json()
    await lapseReservation(app, lapsed.id)
    await lapseReservation(app, paid.id)

    const first = await expireStaleHolds(app.ctx)
    const second = await expireStaleHolds(app.ctx)
    expect([first, second]).toEqual([1, 0])
    expect(await statusesOf(lapsed)).toEqual({ invoice: 'expired', tickets: ['expired', 'expired'] })
    expect(await statusesOf(paid)).toEqual({ invoice: 'paid', tickets: ['confirmed'] })
    expect(await statusesOf(live)).toEqual({ invoice: 'open', tickets: ['held'] })
    expect(await sectionCounts(app, section.id)).toEqual({
      held: 1,
      sold: 1,
      heldTickets: 1,
      confirmedTickets: 1,
    })
    // The seats of the lapsed reservation can be sold again.
    const seatIds = lapsed.tickets.map((t: { seat: { id: number } }) => t.seat.id)
    expect(
      (await reserveAs(app, buyer, event.id, { section_id: section.id, seat_ids: seatIds })).statusCode,
    ).toBe(201)
  })

  it('when a lapsed hold is not swept yet, then the API already shows it as expired', async () => {
    const event = await makeEvent(app, organizer)
    const made = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
    await lapseReservation(app, made.id)
    const ticket = await getAs(app, buyer, `/tickets/${made.tickets[0].id}`)
    expect(ticket.body).toMatchObject({ status: 'expired', expires_at: null })
    const invoice = await getAs(app, buyer, `/invoices/${made.invoices[0].id}`)
    expect(invoice.body.status).toBe('expired')
    const held = await getAs(app, buyer, '/users/me/tickets?status=held&per_page=100')
    expect(held.body.data.map((t: { id: number }) => t.id)).not.toContain(made.tickets[0].id)
  })
})

describe('the expire_stale_holds scheduled job', () => {
  it('is on the job schedule every minute and runs the sweep', () => {
    expect(SCHEDULED_JOBS.find((j) => j.name === 'expire_stale_holds')).toEqual({
      name: 'expire_stale_holds',
      cron: '* * * * *',
      run: expireStaleHolds,
    })
  })

  it('when a worker runs the job, then lapsed holds expire without any request', async () => {
    const worked = await buildBoxOfficeApp({ WORKERS_IN_PROCESS: 'true' })
    try {
      const [org, user] = await quickUsers(worked, 2)
      const event = await makeEvent(worked, org!)
      const made = (await reserveAs(worked, user!, event.id, { section_id: event.sections[0]!.id })).json()
      await lapseReservation(worked, made.id)
      // What pg-boss's cron clock does each minute: put one job on the queue for a worker to take.
      const boss = new PgBoss({ db: bossDbFor(worked.database), schema: BOSS_SCHEMA })
      expect(await boss.send('expire_stale_holds', {})).toEqual(expect.any(String))
      await expect
        .poll(async () => (await sectionCounts(worked, event.sections[0]!.id)).held, {
          timeout: 10_000,
          interval: 200,
        })
        .toBe(0)
      const [invoice] = await worked.ctx.db
        .select()
        .from(invoices)
        .where(eq(invoices.id, made.invoices[0].id))
      expect(invoice!.status).toBe('expired')
    } finally {
      await worked.close()
    }
  })
})
