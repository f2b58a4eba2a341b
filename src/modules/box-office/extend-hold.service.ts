// Extending a hold (WCAG 2.2.1, timing adjustable): the booker of a live hold asks for more time, once, up to a
// cap. The reservation's expiry and its open invoices' due time move together, under the same row locks that a
// payment and an expiry take, so neither can land on a half-extended hold.
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Config } from '../../config.js'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { invoices, reservations, waitlistEntries } from '../../db/schema/index.js'
import { AppError, forbidden, notFound } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import type { IdempotencyClaim } from '../../lib/idempotency.js'
import { assertReservationVisible } from './box-office.access.js'
import { loadReservation } from './box-office.queries.js'
import type { ReservationT } from './box-office.schemas.js'

/**
 * The cap: a hold never lasts longer than this many RESERVATION_TTLs from its creation. An extension adds one
 * RESERVATION_TTL and stops at the cap, so an ordinary hold (created for one TTL) can be extended once; a hold
 * made for longer (a waiting-list offer of WAITLIST_OFFER_TTL ≥ 2 TTLs) already sits at the cap.
 */
export const HOLD_CAP_TTLS = 2

/**
 * How long an unlocked extension (the extend-lock control) waits between its check and its writes: long enough
 * for the deadline to pass and a sweep to expire the hold in between.
 */
const UNLOCKED_EXTENSION_PAUSE_SECONDS = 1

type InvoiceRow = Pick<typeof invoices.$inferSelect, 'id' | 'status'> & { lapsed: boolean }

/**
 * The reservation and all its invoices, locked (FOR UPDATE: the reservation's row, then its invoices' rows in
 * id order, the row a payment or an expiry locks). Whatever a payment or a sweep did before is seen here; none
 * can start on these invoices until the extension commits (the sweep skips locked rows, a payment waits and then
 * re-reads the new due time). The test-only control (UNSAFE_DISABLE_GUARDS=extend-lock) reads without the locks
 * and pauses after the check, so that the hold's expiry reliably lands in between.
 */
async function lockHold(ctx: Ctx, tx: Db, id: number) {
  const unlocked = guardDisabled(ctx.config, 'extend-lock')
  const reservationRead = tx
    .select({
      row: reservations,
      lapsed: sql<boolean>`${reservations.expiresAt} <= now()`,
    })
    .from(reservations)
    .where(eq(reservations.id, id))
  const [reservation] = unlocked ? await reservationRead : await reservationRead.for('update')
  const invoiceRead = tx
    .select({ id: invoices.id, status: invoices.status, lapsed: sql<boolean>`${invoices.dueAt} <= now()` })
    .from(invoices)
    .where(eq(invoices.reservationId, id))
    .orderBy(asc(invoices.id))
  const rows: InvoiceRow[] = unlocked ? await invoiceRead : await invoiceRead.for('update')
  return { reservation, invoices: rows, unlocked }
}

/**
 * Whether a hold made at `createdAt` and held until `expiresAt` may still be extended: it is below the cap. The
 * checkout page asks this to offer the extension; the extension itself asks it under the locks.
 */
export function belowHoldCap(config: Config, hold: { createdAt: Date; expiresAt: Date }): boolean {
  return hold.expiresAt.getTime() < hold.createdAt.getTime() + HOLD_CAP_TTLS * config.RESERVATION_TTL * 1000
}

const notExtendable = (why: string) => new AppError('HOLD_NOT_EXTENDABLE', why)

/**
 * Extends the booker's live hold by RESERVATION_TTL, never past HOLD_CAP_TTLS × RESERVATION_TTL from its
 * creation: the reservation's `expires_at` and its open invoices' `due_at` move together in one transaction.
 *
 * 404 for anyone who may not see the reservation; 403 for the organizer and admins (they see it, but the hold
 * is the booker's). 409 HOLD_NOT_EXTENDABLE when it has lapsed (expired, swept or not), when nothing is held
 * any more (paid, released, cancelled), or when it already reached the cap (extended once).
 */
export async function extendHold(
  ctx: Ctx,
  actor: Actor,
  id: number,
  idempotency: IdempotencyClaim | null = null,
): Promise<ReservationT> {
  await assertReservationVisible(ctx.db, actor, id)
  return ctx.db.transaction(async (tx) => {
    const held = await lockHold(ctx, tx, id)
    const r = held.reservation
    if (!r) throw notFound('Reservation')
    if (r.row.bookerId !== actor.id) throw forbidden('Only the booker can extend this hold')
    const open = held.invoices.filter((i) => i.status === 'open')
    if (r.lapsed || held.invoices.some((i) => i.status === 'expired' || (i.status === 'open' && i.lapsed))) {
      throw notExtendable('This hold has lapsed: its tickets went back on sale')
    }
    if (open.length === 0) throw notExtendable('Nothing is held any more: paid or given back')
    if (!belowHoldCap(ctx.config, r.row)) {
      // A waiting-list offer is made as long as a hold may run: it was never extended, and the answer says so.
      const [offer] = await tx
        .select({ id: waitlistEntries.id })
        .from(waitlistEntries)
        .where(eq(waitlistEntries.reservationId, id))
        .limit(1)
      throw notExtendable(
        offer
          ? 'A waiting-list offer already runs as long as a hold may: it cannot be extended'
          : 'This hold was already extended as far as it can be',
      )
    }
    if (held.unlocked) await tx.execute(sql`select pg_sleep(${UNLOCKED_EXTENSION_PAUSE_SECONDS})`)

    await tx
      .update(reservations)
      .set({
        expiresAt: sql`least(${reservations.expiresAt} + make_interval(secs => ${ctx.config.RESERVATION_TTL}::int),
          ${reservations.createdAt} + make_interval(secs => ${HOLD_CAP_TTLS * ctx.config.RESERVATION_TTL}::int))`,
        updatedAt: new Date(),
      })
      .where(eq(reservations.id, id))
    // The same instant, to the microsecond (a JavaScript Date would round it to the millisecond).
    await tx
      .update(invoices)
      .set({
        dueAt: sql`(select ${reservations.expiresAt} from ${reservations} where ${reservations.id} = ${id})`,
        updatedAt: new Date(),
      })
      .where(and(eq(invoices.reservationId, id), eq(invoices.status, 'open')))
    const body = await loadReservation(tx, ctx.config, id)
    await idempotency?.complete(tx, 200, body)
    return body
  })
}
