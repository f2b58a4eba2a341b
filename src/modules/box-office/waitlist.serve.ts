// Serving a section's waiting list: the places that came back go, in order, to the first entries that fit, as
// reservations held for them (written by the reservation statement itself) and an e-mail with a link to pay.
import { and, asc, eq, lte, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, sections, waitlistEntries } from '../../db/schema/index.js'
import { guardDisabled } from '../../lib/guards.js'
import { queueWaitlistOffered } from '../../mail/queue.js'
import { emitWebhookEvent } from '../webhooks/webhooks.emit.js'
import { mayGainTickets } from './box-office.limits.js'
import { eventSummary, eventSummaryColumns } from './box-office.mail.js'
import { expireSectionHolds } from './expire-holds.service.js'
import { bestAdjacentBlock, bestSeats, type SeatState, seatStates } from './reserve.seats.js'
import { lockEventOnSale, writeReservations } from './reserve.write.js'
import { loadEntries } from './waitlist.service.js'

/** Test-only widening of the waitlist control: long enough for a second run to read the same entry. */
const UNGUARDED_PAUSE_SECONDS = 0.3

type Entry = typeof waitlistEntries.$inferSelect

/**
 * Serves the waiting list of a section until no entry fits the free places: one offer per transaction.
 * Returns how many offers it made. Any number of runs for one section may go at once (a job per freeing).
 */
export async function serveWaitlist(ctx: Ctx, sectionId: number): Promise<number> {
  let offered = 0
  while (await ctx.db.transaction((tx) => offerNext(ctx, tx, sectionId))) offered++
  return offered
}

/**
 * Makes the next offer of the section, if an entry fits; false when none does.
 *
 * Race safety: the event is locked FOR SHARE and then the section FOR UPDATE (the order of every box-office
 * transaction), and only then are the free places and the waiting entries read. Two runs for the same section
 * therefore go one after the other, and the second reads (a fresh snapshot per statement) the entry the
 * first offered as `offered`: no entry is offered twice. The entry moves from `waiting` to `offered` by a
 * conditional update, a second line of defence. The places themselves are claimed by the reservation
 * statement's own guarded claim (`held + sold <= capacity`), so an offer never oversells, whatever else is
 * sold meanwhile.
 *
 * `UNSAFE_DISABLE_GUARDS=waitlist` (test-only control): no section lock, an unconditional entry update, and a
 * pause between reading the entry and writing its reservation, so two runs offer the same entry twice.
 */
async function offerNext(ctx: Ctx, tx: Db, sectionId: number): Promise<boolean> {
  const [section] = await tx
    .select({
      id: sections.id,
      eventId: sections.eventId,
      kind: sections.kind,
      seatsPerRow: sections.seatsPerRow,
    })
    .from(sections)
    .where(eq(sections.id, sectionId))
  if (!section || !(await lockEventOnSale(tx, ctx.config, section.eventId))) return false
  // A lapsed hold the sweep has not reached is a place come back too.
  await expireSectionHolds(ctx, tx, sectionId)
  const guarded = !guardDisabled(ctx.config, 'waitlist')
  const read = tx
    .select({ free: sql<number>`${sections.capacity} - ${sections.held} - ${sections.sold}` })
    .from(sections)
    .where(eq(sections.id, sectionId))
  const [row] = guarded ? await read.for('update') : await read
  const free = row?.free ?? 0
  if (free <= 0) return false
  const candidates = await tx
    .select()
    .from(waitlistEntries)
    .where(
      and(
        eq(waitlistEntries.sectionId, sectionId),
        eq(waitlistEntries.status, 'waiting'),
        lte(waitlistEntries.quantity, free),
      ),
    )
    .orderBy(asc(waitlistEntries.id))
  const [event] = await tx
    .select({ ...eventSummaryColumns, maxTicketsPerUser: events.maxTicketsPerUser })
    .from(events)
    .where(eq(events.id, section.eventId))
  // An entry whose owner (or a friend it names) would pass the event's per-user limit, or the cap on unpaid
  // holds, is passed by like one that does not fit: it keeps its place, and the next that fits is served.
  const withinLimits = (entry: Entry) => mayGainTickets(ctx, tx, event!, entry.userId, holdersOf(entry))
  const pick = await firstThatFits(tx, section, candidates, withinLimits)
  if (!pick) return false
  if (!guarded) await tx.execute(sql`select pg_sleep(${UNGUARDED_PAUSE_SECONDS})`)

  const [outcome] = await writeReservations(
    tx,
    ctx.config,
    [
      {
        eventId: section.eventId,
        sectionId,
        bookerId: pick.entry.userId,
        holders: holdersOf(pick.entry),
        seats: pick.seats,
        split: pick.entry.splitPayment,
      },
    ],
    { commonOnly: false, ttlSeconds: ctx.config.WAITLIST_OFFER_TTL },
  )
  if (outcome?.kind !== 'written') return false
  const reservation = outcome.reservation
  const moved = await tx
    .update(waitlistEntries)
    .set({
      status: 'offered',
      reservationId: reservation.id,
      offerExpiresAt: new Date(reservation.expires_at),
      updatedAt: new Date(),
    })
    .where(
      and(eq(waitlistEntries.id, pick.entry.id), guarded ? eq(waitlistEntries.status, 'waiting') : undefined),
    )
    .returning({ id: waitlistEntries.id })
  // Someone else offered (or the owner left) meanwhile: undo this offer.
  if (moved.length === 0) throw new Error(`waiting-list entry ${pick.entry.id} changed while being served`)
  await queueWaitlistOffered(tx, ctx, {
    userId: pick.entry.userId,
    reservationId: reservation.id,
    event: eventSummary(event!),
    ticketCount: reservation.tickets.length,
    expiresAt: reservation.expires_at,
  })
  await emitWebhookEvent(ctx, tx, {
    eventId: section.eventId,
    type: 'waitlist.offered',
    data: async () => (await loadEntries(tx, ctx.config, 'id', { id: pick.entry.id }))[0],
  })
  return true
}

/** Who holds each ticket of an entry: the booker the first and each attendee one; without attendees, all. */
function holdersOf(entry: Entry): number[] {
  return Array.from(
    { length: entry.quantity },
    (_, i) => (i === 0 ? undefined : entry.attendeeIds[i - 1]) ?? entry.userId,
  )
}

/**
 * The first entry, in order, whose request the section can serve now: its quantity (already filtered by the
 * free count), in a seated section seats for it (an adjacent block when `together`, else the best seats), and
 * `withinLimits`. An entry that does not fit keeps its place; a later one that fits is served.
 */
async function firstThatFits(
  tx: Db,
  section: { id: number; kind: string; seatsPerRow: number | null },
  candidates: Entry[],
  withinLimits: (entry: Entry) => Promise<boolean>,
): Promise<{ entry: Entry; seats: SeatState[] } | null> {
  if (candidates.length === 0) return null
  const all = section.kind === 'seated' ? await seatStates(tx, section.id) : []
  const perRow = section.seatsPerRow ?? 0
  for (const entry of candidates) {
    const seats =
      section.kind !== 'seated'
        ? []
        : entry.together
          ? bestAdjacentBlock(all, entry.quantity, perRow)
          : bestSeats(all, entry.quantity, perRow)
    if (seats && (await withinLimits(entry))) return { entry, seats }
  }
  return null
}
