// Reserving tickets. A buyer reserving for themselves in a general section is written at once, in a batch with
// the reservations that arrive meanwhile (one statement claims and writes everything). Anything else, or what
// that write refused, goes the careful way: a prepared read that turns away what cannot succeed, then the same
// batched write (a general section, no per-user limit, no Idempotency-Key) or a short transaction that also
// takes the per-user lock, picks seats or stores the idempotent answer.
import type { Actor, Ctx } from '../../context.js'
import { type Db, runStatement, type Statement } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import type { events, sections } from '../../db/schema/index.js'
import { managesEvent } from '../../lib/access.js'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import type { IdempotencyClaim } from '../../lib/idempotency.js'
import {
  actorOfClaims,
  actorWithRole,
  type Caller,
  tokenRevoked,
  validTokenRoleSql,
} from '../../plugins/auth.js'
import { assertFriends, assertMayReserve } from './box-office.access.js'
import { lockSection, soldOut } from './box-office.capacity.js'
import { INVOICE_LAPSED_SQL } from './box-office.holds.js'
import { enforceHoldCap, enforceTicketLimit } from './box-office.limits.js'
import type { ReservationT, ReserveInput } from './box-office.schemas.js'
import { expireVoucherHolds } from './expire-holds.service.js'
import { mayHaveRoom, noteSoldOut, writeBatched } from './reserve.batch.js'
import { bestAdjacentBlock, bestSeats, exactSeats, type SeatState, seatStates } from './reserve.seats.js'
import { type WriteInput, type WriteOutcome, writeReservations } from './reserve.write.js'
import { claimVoucher, type Discount, markVoucherUsed } from './vouchers.service.js'
import { serveWaitlist, writeAfterWaitlist } from './waitlist.serve.js'

interface Plan {
  quantity: number
  /** Holder of each ticket, in seat order: the booker first, then the attendees. */
  holders: number[]
  attendees: number[]
}

/** Checks that quantity, seat_ids and attendee_ids agree; 400 when they do not. */
function planOf(actorId: number, input: ReserveInput): Plan {
  const attendees = input.attendee_ids ?? []
  if (attendees.includes(actorId)) {
    throw invalid('body.attendee_ids', 'must not include yourself: you hold the first ticket')
  }
  const counted = input.seat_ids?.length ?? input.quantity ?? 1 + attendees.length
  if (input.seat_ids && input.quantity !== undefined && input.quantity !== input.seat_ids.length) {
    throw invalid('body.quantity', 'must equal the number of seat_ids')
  }
  if (attendees.length > 0 && counted !== 1 + attendees.length) {
    throw invalid(
      'body.attendee_ids',
      'you hold one ticket and each attendee one: quantity must be 1 + attendees',
    )
  }
  const holders = Array.from({ length: counted }, (_, i) =>
    i === 0 ? actorId : (attendees[i - 1] ?? actorId),
  )
  return { quantity: counted, holders, attendees }
}

type EventStatus = typeof events.$inferSelect.status
type SectionKind = typeof sections.$inferSelect.kind

/**
 * A row of `targetSql`: the event, the section (null columns when there is none), whether it is full, and
 * whether someone waits in it.
 */
interface TargetRow {
  event_id: number | null
  status: EventStatus
  published: boolean
  organizer_id: number
  max_tickets_per_user: number | null
  started: boolean
  section_id: number | null
  kind: SectionKind
  capacity: number
  seats_per_row: number | null
  full: boolean | null
  waiting: boolean | null
}

/**
 * What a reservation checks before it starts a transaction, in one read: the event ($1) and the section ($2),
 * and whether the section is full (its counters leave no room for $3 tickets and no open invoice of the event
 * is past due: a lapsed hold the sweep has not reached would still count in the counters). The CASE runs the
 * look for lapsed holds only when the counters say full. `waiting`: someone waits in the section, whom the
 * places that come back are owed to first.
 */
const targetSql = `select e.id event_id, e.status, e.published_at is not null published, e.organizer_id, e.max_tickets_per_user, e.starts_at <= now() started,
    s.id section_id, s.kind, s.capacity, s.seats_per_row,
    case when s.held + s.sold + $3::int <= s.capacity then false
      else not exists (select 1 from invoices where ${INVOICE_LAPSED_SQL} and event_id = e.id)
    end full,
    exists (select 1 from waitlist_entries w where w.section_id = s.id and w.status = 'waiting') waiting
  from events e left join sections s on s.id = $2::int and s.event_id = e.id
  where e.id = $1::int`

const READ_TARGET: Statement = { name: 'reserve_target', text: targetSql }

/**
 * The same read with the caller's access token checked in it ($4–$6: `validTokenRoleSql`): no row when the token
 * no longer holds, else the caller's role now and the target's columns (null when there is no such event).
 */
const READ_TARGET_CHECKED: Statement = {
  name: 'reserve_target:checked',
  text: `select me.role, t.* from (${validTokenRoleSql('$4', '$5', '$6')}) me
    left join lateral (${targetSql}) t on true`,
}

/** The event and the section a reservation names, as read before any transaction. */
function targetOf(row: TargetRow | undefined) {
  if (!row || row.event_id === null) return { event: null, section: null, full: null, waiting: null }
  return {
    event: {
      id: row.event_id,
      status: row.status,
      published: row.published,
      organizerId: row.organizer_id,
      maxTicketsPerUser: row.max_tickets_per_user,
      started: row.started,
    },
    section:
      row.section_id === null
        ? null
        : { id: row.section_id, kind: row.kind, capacity: row.capacity, seatsPerRow: row.seats_per_row },
    full: row.full,
    waiting: row.waiting,
  }
}

/** Whether a reservation is of the common case: the buyer alone, no seats named, no key, no voucher. */
const isCommon = (input: ReserveInput, idempotency: IdempotencyClaim | null) =>
  (input.attendee_ids ?? []).length === 0 && !input.seat_ids && !idempotency && !input.voucher_code

/**
 * Reserves as `caller`: an actor the guards checked, or the verified claims of an access token (signature,
 * expiry) that the reservation's own first statement checks in the database. In the common case that is the
 * batched write (each reservation of a batch checked with its own token) or, once the section is held for sold
 * out or the write could not decide, the read of the target. Anything else checks the token first
 * (`actorOfClaims`). So a buyer's reservation takes one round trip to the database, not two.
 */
/**
 * claimVoucher, except that a voucher used up only by holds that lapsed unswept is not used up: those holds are
 * expired first (their uses come back, as the sweep would give them back a moment later) and the claim is tried
 * again.
 */
async function claimLiveVoucher(ctx: Ctx, tx: Db, eventId: number, sectionId: number, code: string) {
  try {
    return await claimVoucher(ctx, tx, eventId, sectionId, code)
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'VOUCHER_EXHAUSTED') throw err
    if ((await expireVoucherHolds(ctx, tx, eventId, code)) === 0) throw err
    return claimVoucher(ctx, tx, eventId, sectionId, code)
  }
}

export async function reserve(
  ctx: Ctx,
  caller: Caller,
  eventId: number,
  input: ReserveInput,
  idempotency: IdempotencyClaim | null = null,
): Promise<ReservationT> {
  const common = isCommon(input, idempotency)
  const split = input.split_payment ?? false
  const claims = 'claims' in caller ? caller.claims : null
  let actor = 'actor' in caller ? caller.actor : null
  // Attendees (friends), seats, a voucher, a key or the verified e-mail need the caller checked first.
  if (claims && (!common || ctx.config.REQUIRE_VERIFIED_EMAIL_TO_RESERVE)) {
    actor = await actorOfClaims(ctx.db, claims)
  }
  const bookerId = actor ? actor.id : Number(claims?.sub)
  // The common case names neither attendees nor seats: planOf cannot refuse it before its token is checked.
  const plan = planOf(bookerId, input)
  if (actor) await assertMayReserve(ctx, actor.id)
  // A buyer reserving for themselves (no attendees, no seats named, no Idempotency-Key) is written at once, in
  // a batch: the statement checks, under its locks, that the event is on sale, the section general and in
  // the event, the event without a per-user limit, and that the tickets fit; a section full without lapsed
  // holds is SOLD_OUT at once. Anything else goes the careful way below, which finds out why (and answers, or
  // takes the path that request needs).
  // A voucher goes the careful way: its use is counted in the reservation's transaction.
  if (common && mayHaveRoom(ctx, input.section_id)) {
    const outcome = await writeBatched(ctx, {
      eventId,
      sectionId: input.section_id,
      bookerId,
      holders: plan.holders,
      seats: [],
      split,
      token: claims && !actor ? { sessionId: claims.sid, jti: claims.jti } : null,
    })
    if (outcome.kind === 'revoked') throw tokenRevoked()
    if (outcome.kind === 'written') return outcome.reservation
    if (outcome.kind === 'no-capacity' && !outcome.lapsedHolds) {
      noteSoldOut(ctx, input.section_id, true)
      throw soldOut()
    }
  }

  // A token not checked yet (the crowd after a sell-out, or what the write left to this way) is checked in the
  // read.
  const values = [eventId, input.section_id, plan.quantity]
  const [row] = await runStatement<TargetRow & { role?: Actor['role'] }>(
    ctx.db,
    actor ? READ_TARGET : READ_TARGET_CHECKED,
    actor ? values : [...values, bookerId, claims?.sid, claims?.jti],
  )
  actor ??= actorWithRole(claims!, row?.role)
  const target = targetOf(row)
  const event = target.event
  // Never published (a draft, or cancelled as one): as if it did not exist, but to whoever manages it.
  if (!event || (!event.published && !managesEvent(actor, event))) throw notFound('Event')
  if (event.status !== 'published') {
    throw new AppError('EVENT_NOT_ON_SALE', `This event is ${event.status}, not on sale`)
  }
  if (event.started) throw new AppError('EVENT_NOT_ON_SALE', 'This event has already started')
  const section = target.section
  if (!section) throw notFound('Section')
  const seated = section.kind === 'seated'
  if (input.seat_ids && !seated) {
    throw invalid('body.seat_ids', 'this is a general-admission section: send quantity instead')
  }
  // Fast refusal (not the guard: the claim is). Once a section is full, the crowd still arriving is turned
  // away without a transaction.
  if (common) noteSoldOut(ctx, section.id, target.full === true)
  if (target.full) throw soldOut()
  await assertFriends(ctx.db, actor.id, plan.attendees)

  // Set inside the transaction, once the voucher's use is counted.
  let discount: Discount | null = null
  const writeInput = (seats: SeatState[] = []): WriteInput => ({
    eventId,
    sectionId: section.id,
    bookerId: actor.id,
    holders: plan.holders,
    seats,
    split,
    discount,
  })
  const write = async (
    tx: Db,
    seats: SeatState[] = [],
    opts = { commonOnly: false, waitlistServed: false },
  ) => (await writeReservations(tx, ctx.config, [writeInput(seats)], opts))[0]!
  const toServe = { id: section.id, eventId, kind: section.kind, seatsPerRow: section.seatsPerRow }
  // A general section has nothing to pick: one statement claims and writes. When it finds lapsed holds the sweep
  // has not reached, or someone waiting in a section with room, the section's lapsed holds are released and its
  // waiting list served first, and the write made after them in the same transaction (writeAfterWaitlist): the
  // places owed to a waiting entry go to it, and the buyer gets what is left.
  const writeGeneral = async (
    writeOnce: () => Promise<WriteOutcome>,
    afterWaitlist: () => Promise<WriteOutcome>,
  ) => {
    const outcome = await writeOnce()
    const owed = outcome.kind === 'no-capacity' && outcome.lapsedHolds
    return owed || outcome.kind === 'waitlist-first' ? afterWaitlist() : outcome
  }

  try {
    if (!seated && event.maxTicketsPerUser === null && !idempotency && !input.voucher_code) {
      // The common case needs no transaction of its own: that one statement commits by itself, in a batch with
      // the reservations this process receives meanwhile. When the waiting list comes first, the serving and
      // the write are a transaction of their own, which commits the offers whatever the buyer's answer; the
      // buyer holds no per-user lock before the serving (the statement takes it after), so no entry is passed by.
      const outcome = await writeGeneral(
        () => writeBatched(ctx, writeInput()),
        () =>
          ctx.db.transaction((tx) =>
            writeAfterWaitlist(ctx, tx, toServe, [], () =>
              write(tx, [], { commonOnly: true, waitlistServed: true }),
            ),
          ),
      )
      // Not the common case after all: the booker's live holds need the careful check of the default cap, or
      // the organizer gave the event a per-user limit since it was read. The transaction below checks and writes
      // it as read (as it would have been a moment earlier), or finds the section gone.
      if (outcome.kind !== 'not-common') return answer(outcome)
    }
    // Offers owed to those waiting are made and committed first, in transactions of their own: the buyer's
    // transaction may still refuse (a limit, a seat, SOLD_OUT) and roll back what it wrote. Under its locks it
    // serves the list again (writeAfterWaitlist), for places that came back meanwhile.
    if (target.waiting) await serveWaitlist(ctx, section.id)
    // The people whose per-user locks the transaction takes before it serves the list.
    const passBy = [actor.id, ...plan.attendees]
    return await ctx.db.transaction(async (tx) => {
      const adding = new Map<number, number>([[actor.id, plan.quantity]])
      for (const a of plan.attendees) adding.set(a, 1)
      const limited = { id: eventId, maxTicketsPerUser: event.maxTicketsPerUser }
      await enforceTicketLimit(ctx, tx, limited, actor.id, adding)
      await enforceHoldCap(ctx, tx, limited, actor.id, plan.quantity)
      if (input.voucher_code)
        discount = await claimLiveVoucher(ctx, tx, eventId, section.id, input.voucher_code)

      let outcome: WriteOutcome
      if (!seated) {
        outcome = await writeGeneral(
          () => write(tx),
          () =>
            writeAfterWaitlist(ctx, tx, toServe, passBy, () =>
              write(tx, [], { commonOnly: false, waitlistServed: true }),
            ),
        )
      } else {
        // Seats are picked under the section's row lock: no one else can pick them meanwhile. Lapsed holds and
        // those waiting go first, so that the seats are picked from what is left for the buyer.
        outcome = await writeAfterWaitlist(ctx, tx, toServe, passBy, async () => {
          await lockSection(tx, section, plan.quantity)
          const chosen = await chooseSeats(tx, section, input, plan.quantity)
          return write(tx, chosen, { commonOnly: false, waitlistServed: true })
        })
      }
      const reservation = answer(outcome)
      if (discount) await markVoucherUsed(tx, reservation.id, discount.voucherId)
      await idempotency?.complete(tx, 201, reservation)
      return reservation
    })
  } catch (err) {
    // The partial unique index on live seats is the backstop behind the section lock.
    if (uniqueViolation(err) === 'tickets_live_seat_key') {
      throw new AppError('SEAT_TAKEN', 'One of these seats was taken meanwhile')
    }
    throw err
  }
}

/** The reservation written, or the error that says why nothing was. */
function answer(outcome: WriteOutcome): ReservationT {
  // The careful way writes for a checked actor (no token in the input): kept for the type's sake.
  if (outcome.kind === 'revoked') throw tokenRevoked()
  if (outcome.kind === 'not-on-sale')
    throw new AppError('EVENT_NOT_ON_SALE', 'This event is no longer on sale')
  // `waitlist-first` only answers a write made before serving the list, which is never answered itself.
  if (outcome.kind === 'no-capacity' || outcome.kind === 'waitlist-first') throw soldOut()
  // The section was checked to belong to the event just before; only its deletion meanwhile comes here.
  if (outcome.kind === 'not-common') throw notFound('Section')
  return outcome.reservation
}

async function chooseSeats(
  tx: Db,
  section: { id: number; seatsPerRow: number | null },
  input: ReserveInput,
  n: number,
): Promise<SeatState[]> {
  const all = await seatStates(tx, section.id)
  if (input.seat_ids) return exactSeats(all, input.seat_ids)
  const perRow = section.seatsPerRow ?? 0
  if (input.together) {
    const block = bestAdjacentBlock(all, n, perRow)
    if (!block) throw new AppError('NO_ADJACENT_SEATS', `No row has ${n} free seats side by side`)
    return block
  }
  const best = bestSeats(all, n, perRow)
  // Cannot happen while the counters agree with the tickets (lockSection found room); kept as a guard.
  if (!best) throw new AppError('SOLD_OUT', 'Not enough free seats left in this section')
  return best
}
