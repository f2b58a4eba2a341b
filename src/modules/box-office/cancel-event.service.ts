// Cancelling an event: no more sales, open invoices voided, paid ones refunded, every live ticket cancelled,
// the waiting list closed.
import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, invoices, tickets, waitlistEntries } from '../../db/schema/index.js'
import { managesEvent } from '../../lib/access.js'
import { forbidden, notFound } from '../../lib/errors.js'
import { queueEventCancelled } from '../../mail/queue.js'
import { type EventRow, loadEvent } from '../events/events.queries.js'
import type { EventT } from '../events/events.schemas.js'
import { emitWebhookEvents } from '../webhooks/webhooks.emit.js'
import { moveCounters } from './box-office.capacity.js'
import { eventSummary, liveTicketsOf } from './box-office.mail.js'
import { loadTicket } from './box-office.queries.js'
import { refundLines } from './refund.lines.js'

/**
 * Cancels an event in one transaction. Lock order: the event row (FOR UPDATE: reservations in flight hold
 * it FOR SHARE, so they finish first and none starts after), then every open or paid invoice of the event
 * in id order, then tickets, then sections in id order — the order payment, expiry and ticket cancellation
 * use, so none of them can deadlock with it. Cancelling a cancelled event changes nothing (and tells no one
 * again) and answers 200. Everyone concerned gets one e-mail, enqueued in this transaction. The organizer's
 * webhooks get `event.cancelled`, and `ticket.refunded` for each paid ticket, as a refund of one ticket sends.
 */
export async function cancelEvent(ctx: Ctx, actor: Actor, eventId: number): Promise<EventT> {
  return ctx.db.transaction(async (tx) => {
    const [event] = await tx.select().from(events).where(eq(events.id, eventId)).for('update')
    const staff = event ? managesEvent(actor, event) : false
    if (!event || (event.publishedAt === null && !staff)) throw notFound('Event')
    if (!staff) throw forbidden('Only the organizer or an admin can cancel this event')
    if (event.status === 'cancelled') return loadEvent(ctx, tx, actor, eventId)

    const refunded = await cancelLocked(ctx, tx, event)
    const cancelled = await loadEvent(ctx, tx, actor, eventId)
    await emitWebhookEvents(ctx, tx, [
      { eventId, type: 'event.cancelled', data: cancelled },
      ...refunded.map((id) => ({
        eventId,
        type: 'ticket.refunded' as const,
        data: () => loadTicket(tx, ctx.config, id),
      })),
    ])
    return cancelled
  })
}

/**
 * Everything a cancellation changes but its answer and its webhooks, for an event whose row the caller locked
 * FOR UPDATE (in the lock order above). Returns the ids of the paid tickets it refunded, in id order.
 */
async function cancelLocked(ctx: Ctx, tx: Db, event: EventRow): Promise<number[]> {
  await tx.update(events).set({ status: 'cancelled', updatedAt: new Date() }).where(eq(events.id, event.id))
  const billed = await tx
    .select()
    .from(invoices)
    .where(and(eq(invoices.eventId, event.id), inArray(invoices.status, ['open', 'paid'])))
    .orderBy(asc(invoices.id))
    .for('update')
  const told = await peopleToTell(tx, event.id)
  const open = billed.filter((i) => i.status === 'open').map((i) => i.id)
  if (open.length > 0) {
    await tx.update(invoices).set({ status: 'void', updatedAt: new Date() }).where(inArray(invoices.id, open))
  }
  for (const paid of billed.filter((i) => i.status === 'paid')) {
    const refunded = await refundLines(ctx, tx, paid)
    const payer = paid.payerId === null ? undefined : told.get(paid.payerId)
    if (payer) payer.refundCents += refunded
  }

  const cancel = (from: 'held' | 'confirmed') =>
    tx
      .update(tickets)
      .set({ status: 'cancelled', updatedAt: new Date() })
      .where(and(eq(tickets.eventId, event.id), eq(tickets.status, from)))
      .returning({ id: tickets.id, sectionId: tickets.sectionId })
  // The waiting list closes: entries still waiting (and offers, whose held tickets are cancelled below) are
  // expired, and their owners are told with everyone else.
  const closed = await tx
    .update(waitlistEntries)
    .set({ status: 'expired', updatedAt: new Date() })
    .where(
      and(eq(waitlistEntries.eventId, event.id), inArray(waitlistEntries.status, ['waiting', 'offered'])),
    )
    .returning({ userId: waitlistEntries.userId })
  for (const { userId } of closed) {
    const person = told.get(userId) ?? { tickets: new Set<number>(), refundCents: 0, waiting: false }
    person.waiting = true
    told.set(userId, person)
  }
  const wasHeld = await cancel('held')
  const wasConfirmed = await cancel('confirmed')
  await moveCounters(tx, [
    ...wasHeld.map((t) => ({ sectionId: t.sectionId, held: -1, sold: 0 })),
    ...wasConfirmed.map((t) => ({ sectionId: t.sectionId, held: 0, sold: -1 })),
  ])
  for (const [userId, person] of told) {
    await queueEventCancelled(tx, ctx, {
      userId,
      event: eventSummary(event),
      ticketCount: person.tickets.size,
      currency: event.currency,
      refundCents: person.refundCents,
      waiting: person.waiting,
    })
  }
  return wasConfirmed.map((t) => t.id).sort((a, b) => a - b)
}

/**
 * Cancels, as POST /events/{id}/cancel does, every event `organizerId` organizes that has not started: published
 * ones stop selling, their buyers are refunded and told; drafts stay as private as drafts. Called in the account
 * deletion's transaction, before the account's row goes: nobody could manage these events any more, and they
 * would go on selling. No webhook: the account's endpoints go with it. Returns how many events it cancelled.
 */
export async function cancelEventsOf(ctx: Ctx, tx: Db, organizerId: number): Promise<number> {
  const coming = await tx
    .select()
    .from(events)
    .where(
      and(
        eq(events.organizerId, organizerId),
        ne(events.status, 'cancelled'),
        gt(events.startsAt, sql`now()`),
      ),
    )
    .orderBy(asc(events.id))
    .for('update')
  for (const event of coming) await cancelLocked(ctx, tx, event)
  return coming.length
}

interface Told {
  /** The live tickets they hold or pay for. */
  tickets: Set<number>
  /** What this cancellation refunds to them. */
  refundCents: number
  /** They were on the event's waiting list, which closes. */
  waiting: boolean
}

/**
 * Everyone a cancellation concerns, once each: the holder of every live ticket and the payer of its invoice
 * (with split payment these are the same people; otherwise the booker paid for friends who hold).
 */
async function peopleToTell(tx: Db, eventId: number): Promise<Map<number, Told>> {
  const live = await liveTicketsOf(tx, eventId)
  const told = new Map<number, Told>()
  for (const t of live) {
    for (const userId of [t.holderId, t.payerId]) {
      // A deleted account (set null) has no one to tell.
      if (userId === null) continue
      const person = told.get(userId) ?? { tickets: new Set<number>(), refundCents: 0, waiting: false }
      person.tickets.add(t.id)
      told.set(userId, person)
    }
  }
  return told
}
