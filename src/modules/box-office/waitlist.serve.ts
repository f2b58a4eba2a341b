// Serving a section's waiting list: the places that came back go, in order, to the first entries that fit, as
// reservations held for them (written by the reservation statement itself) and an e-mail with a link to pay.
// Whoever comes upon places that came back serves the list before anyone else may take them: the job a freeing
// enqueues, a buyer or a joiner who finds a lapsed hold or someone waiting (serveAhead), and the job armed for
// the due time of the section's next hold (armNextLapse), which serves it when no one else comes.
import { and, asc, eq, lte, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, reservations, sections, tickets, waitlistEntries } from '../../db/schema/index.js'
import { guardDisabled } from '../../lib/guards.js'
import { queueWaitlistOffered } from '../../mail/queue.js'
import { areFriends } from '../friends/friends.queries.js'
import { emitWebhookEvent } from '../webhooks/webhooks.emit.js'
import { mayGainTickets } from './box-office.limits.js'
import { eventSummary, eventSummaryColumns } from './box-office.mail.js'
import { expireSectionHolds } from './expire-holds.service.js'
import { bestAdjacentBlock, bestSeats, type SeatState, seatStates } from './reserve.seats.js'
import { lockEventOnSale, type WriteOutcome, writeReservations } from './reserve.write.js'
import { loadEntries } from './waitlist.entries.js'

/** Test-only widening of the waitlist control: long enough for a second run to read the same entry. */
const UNGUARDED_PAUSE_SECONDS = 0.3

/**
 * How long pg-boss remembers an armed job's key (`singletonSeconds`, its throttling slot): arming the same due
 * time of a section again within it (each join, each run of a long list) adds no second job.
 */
const ARM_SLOT_SECONDS = 3600

type Entry = typeof waitlistEntries.$inferSelect

/** What serving needs to know of a section. */
export interface SectionToServe {
  id: number
  eventId: number
  kind: string
  seatsPerRow: number | null
}

/**
 * Serves the waiting list of a section until no entry fits the free places: one offer per transaction. Returns
 * how many offers it made. Any number of runs for one section may go at once (a job per freeing, an armed job).
 * The last transaction, which finds no more entry that fits, arms the job for the next hold to lapse while
 * someone still waits.
 */
export async function serveWaitlist(ctx: Ctx, sectionId: number): Promise<number> {
  let offered = 0
  for (;;) {
    const made = await ctx.db.transaction(async (tx) => {
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
      const next = await offerNext(ctx, tx, section, [])
      if (!next.offered && next.waiting) await armNextLapse(ctx, tx, sectionId)
      return next.offered
    })
    if (!made) return offered
    offered++
  }
}

/**
 * Serves the section's waiting list inside the caller's transaction, before the caller claims places there or
 * looks whether it could (a buyer's reservation, a join): the section's lapsed holds are released and every
 * entry that fits is offered its places, all under the event's lock (the caller has taken it:
 * lockEventOnSale) and the section's row lock (taken here, kept until the caller commits). What is free after
 * it is free for the caller: anyone who still waits does not fit it. `waiting` tells whether anyone does.
 *
 * `passBy`: the people whose per-user locks the caller already holds (a buyer and their attendees, counted for
 * the per-user limit before this): their entries are passed by, as one whose owner is reserving right now is
 * (mayGainTickets), since an offer to them would not be counted in the caller's check.
 */
export async function serveAhead(
  ctx: Ctx,
  tx: Db,
  section: SectionToServe,
  passBy: number[] = [],
): Promise<{ offered: number; waiting: boolean }> {
  await expireSectionHolds(ctx, tx, section.id)
  let offered = 0
  for (;;) {
    const next = await offerNext(ctx, tx, section, passBy)
    if (!next.offered) return { offered, waiting: next.waiting }
    offered++
  }
}

/**
 * A buyer's write in a section whose places may be owed to the waiting list, inside the buyer's transaction: the
 * event locked, the list served (serveAhead), then `write` claims what is left under the same section lock, so
 * that no one takes places between the offers and the buyer. Arms the next lapse when the section gained holds
 * and someone still waits.
 */
export async function writeAfterWaitlist(
  ctx: Ctx,
  tx: Db,
  section: SectionToServe,
  passBy: number[],
  write: () => Promise<WriteOutcome>,
): Promise<WriteOutcome> {
  if (!(await lockEventOnSale(tx, ctx.config, section.eventId))) return { kind: 'not-on-sale' }
  const served = await serveAhead(ctx, tx, section, passBy)
  const outcome = await write()
  if (served.waiting && (served.offered > 0 || outcome.kind === 'written')) {
    await armNextLapse(ctx, tx, section.id)
  }
  return outcome
}

/**
 * Arms the waiting list's own timer: when someone waits in the section, a serving job at the due time of the
 * section's next hold to lapse (the earliest expiry of its held tickets' reservations; a second from now at the
 * soonest, so that a lapsed hold a payment has locked is looked at again a moment later, not in a loop).
 * Enqueued in the caller's transaction, so it exists if and only if that transaction commits.
 *
 * Why a job at the due time, and not a finer sweep: the due time is known when the hold is made, so a timer per
 * due time is exact (within the workers' polling interval, JOBS_POLL_INTERVAL), costs nothing while nothing is
 * due, survives restarts (it is a row in the queue), and only sections where someone waits get one. A sweep
 * would have to poll every section's holds every few seconds in every worker to come close, and pg-boss's cron
 * cannot go below a minute. Deadline timers are how payment and booking systems expire checkout sessions and
 * holds; the minute sweep stays, as the backstop that tidies up what no one waits for.
 *
 * Each run re-arms for the next due time while someone waits, so the chain covers holds made later (a buyer's,
 * an offer's), and holds that are paid or extended meanwhile only make a run that finds nothing to do. The job's
 * key is the section and the time, so a section gets one job per due time however often it is armed.
 */
export async function armNextLapse(ctx: Ctx, tx: Db, sectionId: number): Promise<void> {
  const at = sql`greatest(min(${reservations.expiresAt}), now() + interval '1 second')`
  const [next] = await tx
    .select({
      atMs: sql<string | null>`floor(extract(epoch from ${at}) * 1000)::bigint`,
      inSeconds: sql<string | null>`extract(epoch from ${at} - now())`,
    })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .where(and(eq(tickets.sectionId, sectionId), eq(tickets.status, 'held')))
  if (next?.atMs == null || next.inSeconds == null) return
  await ctx.jobs.send(
    tx,
    'waitlist',
    { sectionId },
    {
      startAfter: Number(next.inSeconds),
      singletonKey: `${sectionId}@${next.atMs}`,
      singletonSeconds: ARM_SLOT_SECONDS,
    },
  )
}

/**
 * Makes the next offer of the section, if an entry fits. `offered`: whether it made one; `waiting`: whether
 * anyone waits in the section (when nothing was offered).
 *
 * Race safety: the caller has locked the event FOR SHARE; the section is locked FOR UPDATE (the order of every
 * box-office transaction), and only then are the free places and the waiting entries read. Two runs for the
 * same section therefore go one after the other, and the second reads (a fresh snapshot per statement) the
 * entry the first offered as `offered`: no entry is offered twice. The entry moves from `waiting` to `offered`
 * by a conditional update, a second line of defence. The places themselves are claimed by the reservation
 * statement's own guarded claim (`held + sold <= capacity`), so an offer never oversells, whatever else is
 * sold meanwhile.
 *
 * `UNSAFE_DISABLE_GUARDS=waitlist` (test-only control): no section lock, an unconditional entry update, and a
 * pause between reading the entry and writing its reservation, so two runs offer the same entry twice.
 */
async function offerNext(
  ctx: Ctx,
  tx: Db,
  section: SectionToServe,
  passBy: number[],
): Promise<{ offered: boolean; waiting: boolean }> {
  const sectionId = section.id
  const guarded = !guardDisabled(ctx.config, 'waitlist')
  const read = tx
    .select({
      free: sql<number>`${sections.capacity} - ${sections.held} - ${sections.sold}`,
      // Written out: drizzle leaves the columns of a one-table select unqualified.
      waiting: sql<boolean>`exists (select 1 from waitlist_entries w
        where w.section_id = sections.id and w.status = 'waiting')`,
    })
    .from(sections)
    .where(eq(sections.id, sectionId))
  const [row] = guarded ? await read.for('update') : await read
  const none = { offered: false, waiting: row?.waiting === true }
  const free = row?.free ?? 0
  if (!none.waiting || free <= 0) return none
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
  // holds, is passed by like one that does not fit: it keeps its place, and the next that fits is served. So is
  // one that names someone the caller passes by, and one naming someone no longer its owner's friend (a
  // reservation naming them would be 403 NOT_FRIENDS: nobody is made a holder, and billed, by an ex-friend).
  const withinLimits = async (entry: Entry) =>
    !holdersOf(entry).some((h) => passBy.includes(h)) &&
    (await stillFriends(tx, entry)) &&
    (await mayGainTickets(ctx, tx, event!, entry.userId, holdersOf(entry)))
  const pick = await firstThatFits(tx, section, candidates, withinLimits)
  if (!pick) return none
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
    { commonOnly: false, ttlSeconds: ctx.config.WAITLIST_OFFER_TTL, waitlistServed: true },
  )
  if (outcome?.kind !== 'written') return none
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
  return { offered: true, waiting: true }
}

/** Who holds each ticket of an entry: the booker the first and each attendee one; without attendees, all. */
async function stillFriends(tx: Db, entry: Entry): Promise<boolean> {
  for (const id of new Set(entry.attendeeIds)) if (!(await areFriends(tx, entry.userId, id))) return false
  return true
}

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
