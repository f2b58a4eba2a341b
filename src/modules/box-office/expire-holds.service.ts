// Expiry of unpaid holds: an open invoice past its due_at becomes `expired`, its held tickets give their place
// back, and the booker is told.
import { and, asc, eq, exists, inArray, type SQL, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, invoices, reservations, tickets, vouchers } from '../../db/schema/index.js'
import { queueReservationExpired } from '../../mail/queue.js'
import { moveCounters } from './box-office.capacity.js'
import { invoiceLapsed } from './box-office.holds.js'
import { eventSummary, eventSummaryColumns } from './box-office.mail.js'
import { heldTicketsOf } from './box-office.queries.js'
import { returnVoucherUses } from './vouchers.service.js'
import { offersLapsed, placesCameBack } from './waitlist.notify.js'

const SWEEP_BATCH = 500

/**
 * Expires the given invoices if they are still open and past due, with their held tickets and counters.
 *
 * Each invoice row is locked (FOR UPDATE SKIP LOCKED) before anything changes: the payment of an invoice
 * locks the same row, so a payment and an expiry of one invoice run one after the other and the second
 * sees the first's outcome (the payment re-reads the status under its lock and answers INVOICE_NOT_OPEN;
 * the expiry's `status = 'open'` condition no longer matches a paid invoice). SKIP LOCKED lets a sweep pass
 * over an invoice that is being paid right now instead of queueing behind it: that payment holds the lock
 * and already checked, under it, that the invoice was not yet due. Capacity comes back exactly once
 * because only the transaction whose conditional UPDATE moved a row from open/held counts it; for the same
 * reason that transaction alone tells the booker.
 */
async function expireLocked(ctx: Ctx, tx: Db, invoiceIds: number[]): Promise<number> {
  if (invoiceIds.length === 0) return 0
  const expired = await tx
    .update(invoices)
    .set({ status: 'expired', updatedAt: new Date() })
    .where(and(inArray(invoices.id, invoiceIds), invoiceLapsed))
    .returning({ id: invoices.id })
  if (expired.length === 0) return 0
  const lapsed = await tx
    .update(tickets)
    .set({ status: 'expired', updatedAt: new Date() })
    .where(
      heldTicketsOf(
        tx,
        expired.map((e) => e.id),
      ),
    )
    .returning({ sectionId: tickets.sectionId, reservationId: tickets.reservationId })
  await moveCounters(
    tx,
    lapsed.map((t) => ({ sectionId: t.sectionId, held: -1, sold: 0 })),
  )
  await tellBookers(ctx, tx, lapsed)
  await returnVoucherUses(
    tx,
    lapsed.map((t) => t.reservationId),
  )
  // A lapsed waiting-list offer is expired, and the places go to whoever waits next.
  await offersLapsed(tx, [...new Set(lapsed.map((t) => t.reservationId))])
  await placesCameBack(
    ctx,
    tx,
    lapsed.map((t) => t.sectionId),
  )
  return expired.length
}

/**
 * One "reservation expired" message per reservation whose tickets lapsed in this transaction, to its booker
 * (enqueued in the transaction, so a rolled-back expiry tells no one). A reservation's invoices share one
 * due time and are expired together, so this is one message per reservation; only an invoice skipped because
 * a payment attempt held its lock at that moment is expired, and told about, in a later transaction.
 */
async function tellBookers(ctx: Ctx, tx: Db, lapsed: { reservationId: number }[]): Promise<void> {
  const count = new Map<number, number>()
  for (const t of lapsed) count.set(t.reservationId, (count.get(t.reservationId) ?? 0) + 1)
  if (count.size === 0) return
  const rows = await tx
    .select({
      id: reservations.id,
      bookerId: reservations.bookerId,
      event: eventSummaryColumns,
    })
    .from(reservations)
    .innerJoin(events, eq(events.id, reservations.eventId))
    .where(inArray(reservations.id, [...count.keys()]))
    .orderBy(asc(reservations.id))
  for (const r of rows) {
    // A deleted booker (set null) has no one to tell.
    if (r.bookerId === null) continue
    await queueReservationExpired(tx, ctx, {
      userId: r.bookerId,
      reservationId: r.id,
      event: eventSummary(r.event),
      ticketCount: count.get(r.id)!,
    })
  }
}

/**
 * Expires the lapsed open invoices that `among` admits (a condition on `invoices`), each row locked FOR UPDATE
 * SKIP LOCKED first, in id order. Starts from the open invoices already due (a partial index,
 * `invoices_open_due_idx`: few rows, since the sweep keeps up), so it costs next to nothing when there is
 * nothing to release. Returns how many invoices it expired.
 */
async function expireLapsedAmong(ctx: Ctx, tx: Db, among: SQL): Promise<number> {
  const stale = await tx
    .select({ id: invoices.id })
    .from(invoices)
    .where(and(invoiceLapsed, among))
    .orderBy(invoices.id)
    .for('update', { skipLocked: true })
  return expireLocked(
    ctx,
    tx,
    stale.map((s) => s.id),
  )
}

/** Lazy expiry inside a reserving transaction: the section's lapsed holds are released before its capacity is claimed. */
export function expireSectionHolds(ctx: Ctx, tx: Db, sectionId: number): Promise<number> {
  return expireLapsedAmong(
    ctx,
    tx,
    exists(
      tx
        .select({ one: sql`1` })
        .from(tickets)
        .where(
          and(
            eq(tickets.reservationId, invoices.reservationId),
            eq(tickets.sectionId, sectionId),
            eq(tickets.status, 'held'),
          ),
        ),
    ),
  )
}

/**
 * Lazy expiry for a voucher: the holds that claimed a use of the event's voucher `code` (any case) and lapsed
 * unswept are expired, so their uses come back (returnVoucherUses) before a buyer is told the voucher is used
 * up. Returns how many invoices it expired.
 */
export function expireVoucherHolds(ctx: Ctx, tx: Db, eventId: number, code: string): Promise<number> {
  return expireLapsedAmong(
    ctx,
    tx,
    inArray(
      invoices.reservationId,
      tx
        .select({ id: reservations.id })
        .from(reservations)
        .innerJoin(vouchers, eq(vouchers.id, reservations.voucherId))
        .where(and(eq(vouchers.eventId, eventId), eq(sql`lower(${vouchers.code})`, code.toLowerCase()))),
    ),
  )
}

/**
 * The open invoices `payerId` was to pay lapse now: their account is being deleted, and nobody else may pay
 * them. Their held tickets give their places back (to the waiting list first), as at expiry. Call in the
 * deletion's transaction, before the account's row goes. Returns how many invoices it expired.
 */
export async function lapseHoldsOfPayer(ctx: Ctx, tx: Db, payerId: number): Promise<number> {
  const due = await tx
    .update(invoices)
    .set({ dueAt: sql`now()`, updatedAt: new Date() })
    .where(and(eq(invoices.payerId, payerId), eq(invoices.status, 'open')))
    .returning({ id: invoices.id })
  return expireLocked(
    ctx,
    tx,
    due.map((d) => d.id).sort((a, b) => a - b),
  )
}

/**
 * The periodic sweep: expires every open invoice past its due date, in batches of one short transaction
 * each. Returns how many invoices it expired. Safe to run in any number of processes at once.
 */
export async function expireStaleHolds(ctx: Ctx): Promise<number> {
  let total = 0
  for (;;) {
    const done = await ctx.db.transaction(async (tx) => {
      const stale = await tx
        .select({ id: invoices.id })
        .from(invoices)
        .where(invoiceLapsed)
        .orderBy(invoices.dueAt)
        .limit(SWEEP_BATCH)
        .for('update', { skipLocked: true })
      return {
        found: stale.length,
        expired: await expireLocked(
          ctx,
          tx,
          stale.map((s) => s.id),
        ),
      }
    })
    total += done.expired
    if (done.found < SWEEP_BATCH) return total
  }
}
