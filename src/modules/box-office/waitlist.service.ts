// The waiting list: joining it when a section cannot serve a request now, leaving it (releasing an open offer),
// and the lists of one's own entries and of an event's. Serving it is waitlist.serve.ts.
import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import { events, invoices, sections, tickets, waitlistEntries } from '../../db/schema/index.js'
import { managesEvent } from '../../lib/access.js'
import { AppError, forbidden, invalid, notFound } from '../../lib/errors.js'
import type { Page, PageParams } from '../../lib/pagination.js'
import { plural } from '../../mail/format.js'
import { eventForChange, visibleEventRow } from '../events/events.queries.js'
import { assertFriends } from './box-office.access.js'
import { moveCounters } from './box-office.capacity.js'
import { liveTicketsOf } from './box-office.limits.js'
import { bestAdjacentBlock, bestSeats, seatStates } from './reserve.seats.js'
import { lockEventOnSale } from './reserve.write.js'
import { returnVoucherUses } from './vouchers.service.js'
import { effectiveStatus, loadEntries, pageOfEntries } from './waitlist.entries.js'
import { placesCameBack } from './waitlist.notify.js'
import type { JoinWaitlistInput, WaitlistEntryT } from './waitlist.schemas.js'
import { armNextLapse, serveAhead } from './waitlist.serve.js'

/**
 * Joins the waiting list of a section. Only when the section cannot serve the request now: 409 SEATS_AVAILABLE
 * when it could (enough free places once those waiting are served; in a seated section also seats for it,
 * adjacent when `together`).
 */
export async function joinWaitlist(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  input: JoinWaitlistInput,
): Promise<WaitlistEntryT> {
  const attendees = input.attendee_ids ?? []
  if (attendees.includes(actor.id)) {
    throw invalid('body.attendee_ids', 'must not include yourself: you hold the first ticket')
  }
  if (attendees.length > 0 && input.quantity !== 1 + attendees.length) {
    throw invalid(
      'body.attendee_ids',
      'you hold one ticket and each attendee one: quantity must be 1 + attendees',
    )
  }
  const event = await visibleEventRow(ctx.db, actor, eventId)
  if (event.status !== 'published' || event.startsAt <= new Date()) {
    throw new AppError('EVENT_NOT_ON_SALE', `This event is not on sale (${event.status})`)
  }
  const [section] = await ctx.db
    .select()
    .from(sections)
    .where(and(eq(sections.id, input.section_id), eq(sections.eventId, eventId)))
  if (!section) throw notFound('Section')
  // An entry no place could ever serve would wait forever: refused as a reservation of it would be.
  if (section.kind === 'seated' && input.together && input.quantity > (section.seatsPerRow ?? 0)) {
    throw new AppError(
      'NO_ADJACENT_SEATS',
      `No row of this section has ${input.quantity} seats: at most ${section.seatsPerRow} sit side by side`,
    )
  }
  await assertFriends(ctx.db, actor.id, attendees)
  if (event.maxTicketsPerUser !== null) {
    const have = await liveTicketsOf(ctx.db, eventId, actor.id)
    if (have + input.quantity > event.maxTicketsPerUser) {
      throw new AppError(
        'TICKET_LIMIT_EXCEEDED',
        `At most ${plural(event.maxTicketsPerUser, 'ticket')} per person for this event${have === 0 ? '' : `; you already have ${have}`}`,
      )
    }
  }
  // Whether the request could be reserved now is decided under the event's and the section's locks, after the
  // section's waiting list is served (serveAhead: its lapsed holds released, every entry that fits offered its
  // places). Places owed to someone already waiting are not free for the joiner, who joins behind them (201);
  // places still free once everyone ahead who fits has been served are, and the joiner gets SEATS_AVAILABLE, as
  // a reservation would get them. The offers commit whatever the answer. The entry is written under the same
  // section lock, so a freeing that commits after it finds it waiting and serves it.
  const joined = await ctx.db.transaction(async (tx) => {
    if (!(await lockEventOnSale(tx, ctx.config, eventId))) return { kind: 'not-on-sale' as const }
    await serveAhead(ctx, tx, {
      id: section.id,
      eventId,
      kind: section.kind,
      seatsPerRow: section.seatsPerRow,
    })
    const [served] = await tx.select().from(sections).where(eq(sections.id, section.id))
    if (await couldReserveNow(tx, served!, input)) return { kind: 'available' as const }
    // An offer that lapsed unswept no longer keeps its owner off the list.
    await tx
      .update(waitlistEntries)
      .set({ status: 'expired', updatedAt: new Date() })
      .where(
        and(
          eq(waitlistEntries.sectionId, section.id),
          eq(waitlistEntries.userId, actor.id),
          eq(waitlistEntries.status, 'offered'),
          lte(waitlistEntries.offerExpiresAt, sql`now()`),
        ),
      )
    try {
      // A savepoint: a refusal must not undo the offers made above.
      const id = await tx.transaction(async (sp) => {
        const [row] = await sp
          .insert(waitlistEntries)
          .values({
            eventId,
            sectionId: section.id,
            userId: actor.id,
            quantity: input.quantity,
            together: input.together ?? false,
            attendeeIds: attendees,
            splitPayment: input.split_payment ?? false,
          })
          .returning({ id: waitlistEntries.id })
        return row!.id
      })
      // The places held in the section come back to the list when their holds lapse, even if no one else comes.
      await armNextLapse(ctx, tx, section.id)
      return { kind: 'joined' as const, id }
    } catch (err) {
      if (uniqueViolation(err) === 'waitlist_live_key') return { kind: 'already-waiting' as const }
      throw err
    }
  })
  if (joined.kind === 'not-on-sale')
    throw new AppError('EVENT_NOT_ON_SALE', 'This event is no longer on sale')
  if (joined.kind === 'available') {
    throw new AppError('SEATS_AVAILABLE', 'This section can serve the request now: reserve instead')
  }
  if (joined.kind === 'already-waiting') {
    throw new AppError('ALREADY_WAITING', 'You already wait (or have an offer) in this section')
  }
  const [entry] = await loadEntries(ctx.db, ctx.config, 'id', { id: joined.id })
  return entry!
}

/** Whether a reservation of this request would succeed now, as far as places and seats go. */
async function couldReserveNow(
  db: Db,
  section: typeof sections.$inferSelect,
  input: JoinWaitlistInput,
): Promise<boolean> {
  if (section.capacity - section.held - section.sold < input.quantity) return false
  if (section.kind !== 'seated') return true
  const all = await seatStates(db, section.id)
  const perRow = section.seatsPerRow ?? 0
  const seats = input.together
    ? bestAdjacentBlock(all, input.quantity, perRow)
    : bestSeats(all, input.quantity, perRow)
  return seats !== null
}

/**
 * Leaves the waiting list: the entry becomes `left`, and an open offer is released (its open invoices
 * voided, its held tickets cancelled, their places served to the next entry). Leaving twice is a no-op; a
 * converted or expired entry answers 409 WAITLIST_ENTRY_CLOSED. Locks the offer's invoices before the entry:
 * the order in which payment and expiry reach it.
 */
export async function leaveWaitlist(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  const [seen] = await ctx.db
    .select({ entry: waitlistEntries, organizerId: events.organizerId })
    .from(waitlistEntries)
    .innerJoin(events, eq(events.id, waitlistEntries.eventId))
    .where(eq(waitlistEntries.id, id))
  if (!seen || seen.entry.userId !== actor.id) {
    if (seen && managesEvent(actor, seen)) throw forbidden('Only its owner can take an entry off the list')
    throw notFound('Waiting-list entry')
  }
  await ctx.db.transaction(async (tx) => {
    const reservationId = seen.entry.reservationId
    const open = reservationId
      ? await tx
          .select({ id: invoices.id })
          .from(invoices)
          .where(and(eq(invoices.reservationId, reservationId), eq(invoices.status, 'open')))
          .orderBy(asc(invoices.id))
          .for('update')
      : []
    const [entry] = await tx
      .select({ row: waitlistEntries, status: effectiveStatus })
      .from(waitlistEntries)
      .where(eq(waitlistEntries.id, id))
      .for('update')
    if (!entry || entry.status === 'left') return
    if (entry.status !== 'waiting' && entry.status !== 'offered') {
      throw new AppError('WAITLIST_ENTRY_CLOSED', `This entry is ${entry.status} already`)
    }
    await tx
      .update(waitlistEntries)
      .set({ status: 'left', updatedAt: new Date() })
      .where(eq(waitlistEntries.id, id))
    if (entry.status !== 'offered' || open.length === 0) return
    await tx
      .update(invoices)
      .set({ status: 'void', updatedAt: new Date() })
      .where(
        inArray(
          invoices.id,
          open.map((i) => i.id),
        ),
      )
    const released = await tx
      .update(tickets)
      .set({ status: 'cancelled', updatedAt: new Date() })
      .where(and(eq(tickets.reservationId, entry.row.reservationId!), eq(tickets.status, 'held')))
      .returning({ sectionId: tickets.sectionId })
    await moveCounters(
      tx,
      released.map((t) => ({ sectionId: t.sectionId, held: -1, sold: 0 })),
    )
    await returnVoucherUses(tx, [entry.row.reservationId!])
    await placesCameBack(
      ctx,
      tx,
      released.map((t) => t.sectionId),
    )
  })
}

/** The caller's live entries (waiting or with an open offer) for one event: what its page shows them. */
export async function myLiveEntries(ctx: Ctx, actor: Actor, eventId: number): Promise<WaitlistEntryT[]> {
  const entries = await loadEntries(ctx.db, ctx.config, 'live', { user: actor.id, event: eventId })
  return entries.filter((e) => e.status === 'waiting' || e.status === 'offered')
}

export async function listMyWaitlist(
  ctx: Ctx,
  actor: Actor,
  page: PageParams,
): Promise<Page<WaitlistEntryT>> {
  return pageOfEntries(ctx, 'mine', { user: actor.id }, page)
}

/** An event's waiting list for its organizer or an admin, in order (oldest first): the order it is served in. */
export async function listEventWaitlist(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  page: PageParams,
): Promise<Page<WaitlistEntryT>> {
  await eventForChange(ctx.db, actor, eventId)
  return pageOfEntries(ctx, 'event', { event: eventId }, page)
}
