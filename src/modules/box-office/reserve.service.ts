// Reserving tickets. A buyer reserving for themselves in a general section is written at once, in a batch with
// the reservations that arrive meanwhile (one statement claims and writes everything). Anything else, or what
// that write refused, goes the careful way: a prepared read that turns away what cannot succeed, then the same
// batched write (a general section, no per-user limit, no Idempotency-Key) or a short transaction that also
// takes the per-user lock, picks seats or stores the idempotent answer.
import { and, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedOnce } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import { events, invoices, sections } from '../../db/schema/index.js'
import { managesEvent } from '../../lib/access.js'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import type { IdempotencyClaim } from '../../lib/idempotency.js'
import { assertFriends, assertMayReserve } from './box-office.access.js'
import { lockSection, soldOut } from './box-office.capacity.js'
import { invoiceLapsed } from './box-office.holds.js'
import { enforceHoldCap, enforceTicketLimit } from './box-office.limits.js'
import type { ReservationT, ReserveInput } from './box-office.schemas.js'
import { expireSectionHolds } from './expire-holds.service.js'
import { mayHaveRoom, noteSoldOut, writeBatched } from './reserve.batch.js'
import { bestAdjacentBlock, bestSeats, exactSeats, type SeatState, seatStates } from './reserve.seats.js'
import { lockEventOnSale, type WriteInput, type WriteOutcome, writeReservations } from './reserve.write.js'
import { claimVoucher, type Discount, markVoucherUsed } from './vouchers.service.js'

interface Plan {
  quantity: number
  /** Holder of each ticket, in seat order: the booker first, then the attendees. */
  holders: number[]
  attendees: number[]
}

/** Checks that quantity, seat_ids and attendee_ids agree; 400 when they do not. */
function planOf(actor: Actor, input: ReserveInput): Plan {
  const attendees = input.attendee_ids ?? []
  if (attendees.includes(actor.id)) {
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
    i === 0 ? actor.id : (attendees[i - 1] ?? actor.id),
  )
  return { quantity: counted, holders, attendees }
}

/**
 * What a reservation checks before it starts a transaction, in one prepared read: the event and the section,
 * and whether the section is full (its counters leave no room for `quantity` and no open invoice of the event
 * is past due: a lapsed hold the sweep has not reached would still count in the counters).
 */
function readTarget(db: Db) {
  return preparedOnce(db, 'reserve_target', (d, name) =>
    d
      .select({
        event: {
          id: events.id,
          status: events.status,
          organizerId: events.organizerId,
          maxTicketsPerUser: events.maxTicketsPerUser,
          started: sql<boolean>`${events.startsAt} <= now()`,
        },
        section: {
          id: sections.id,
          kind: sections.kind,
          capacity: sections.capacity,
          seatsPerRow: sections.seatsPerRow,
        },
        // CASE, so that the look for lapsed holds runs only when the counters say full.
        full: sql<boolean | null>`case
          when ${sections.held} + ${sections.sold} + ${sql.placeholder('quantity')}::int <= ${sections.capacity}
            then false
          else not exists (select 1 from ${invoices} where ${invoiceLapsed} and ${invoices.eventId} = ${events.id})
          end`,
      })
      .from(events)
      .leftJoin(sections, and(eq(sections.id, sql.placeholder('sectionId')), eq(sections.eventId, events.id)))
      .where(eq(events.id, sql.placeholder('eventId')))
      .prepare(name),
  )
}

export async function reserve(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  input: ReserveInput,
  idempotency: IdempotencyClaim | null = null,
): Promise<ReservationT> {
  const plan = planOf(actor, input)
  await assertMayReserve(ctx, actor.id)
  const split = input.split_payment ?? false
  // A buyer reserving for themselves (no attendees, no seats named, no Idempotency-Key) is written at once, in
  // a batch: the statement checks, under its locks, that the event is on sale, the section general and in
  // the event, the event without a per-user limit, and that the tickets fit; a section full without lapsed
  // holds is SOLD_OUT at once. Anything else goes the careful way below, which finds out why (and answers, or
  // takes the path that request needs).
  // A voucher goes the careful way: its use is counted in the reservation's transaction.
  const common = plan.attendees.length === 0 && !input.seat_ids && !idempotency && !input.voucher_code
  if (common && mayHaveRoom(ctx, input.section_id)) {
    const outcome = await writeBatched(ctx, {
      eventId,
      sectionId: input.section_id,
      bookerId: actor.id,
      holders: plan.holders,
      seats: [],
      split,
    })
    if (outcome.kind === 'written') return outcome.reservation
    if (outcome.kind === 'no-capacity' && !outcome.lapsedHolds) {
      noteSoldOut(ctx, input.section_id, true)
      throw soldOut()
    }
  }

  const [target] = await readTarget(ctx.db).execute({
    eventId,
    sectionId: input.section_id,
    quantity: plan.quantity,
  })
  const event = target?.event
  if (!event || (event.status === 'draft' && !managesEvent(actor, event))) throw notFound('Event')
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
  const write = async (tx: Db, seats: SeatState[] = []) =>
    (await writeReservations(tx, ctx.config, [writeInput(seats)], { commonOnly: false }))[0]!
  // A general section has nothing to pick: one statement claims and writes. Only when the counters are full
  // does it look for lapsed holds of the section, release them, and try once more.
  const writeGeneral = async (
    writeOnce: () => Promise<WriteOutcome>,
    releaseLapsed: () => Promise<number>,
  ) => {
    const outcome = await writeOnce()
    if (outcome.kind === 'no-capacity' && outcome.lapsedHolds && (await releaseLapsed()) > 0) {
      return writeOnce()
    }
    return outcome
  }

  try {
    if (!seated && event.maxTicketsPerUser === null && !idempotency && !input.voucher_code) {
      // The common case needs no transaction of its own: that one statement commits by itself, in a batch with
      // the reservations this process receives meanwhile.
      const outcome = await writeGeneral(
        () => writeBatched(ctx, writeInput()),
        () => ctx.db.transaction((tx) => expireSectionHolds(ctx, tx, section.id)),
      )
      // Not the common case after all: the booker's live holds need the careful check of the default cap, or
      // the organizer gave the event a per-user limit since it was read. The transaction below checks and writes
      // it as read (as it would have been a moment earlier), or finds the section gone.
      if (outcome.kind !== 'not-common') return answer(outcome)
    }
    return await ctx.db.transaction(async (tx) => {
      const adding = new Map<number, number>([[actor.id, plan.quantity]])
      for (const a of plan.attendees) adding.set(a, 1)
      const limited = { id: eventId, maxTicketsPerUser: event.maxTicketsPerUser }
      await enforceTicketLimit(ctx, tx, limited, adding)
      await enforceHoldCap(ctx, tx, limited, actor.id, plan.quantity)
      if (input.voucher_code) discount = await claimVoucher(ctx, tx, eventId, section.id, input.voucher_code)

      let outcome: WriteOutcome
      if (!seated) {
        outcome = await writeGeneral(
          () => write(tx),
          () => expireSectionHolds(ctx, tx, section.id),
        )
      } else if (!(await lockEventOnSale(tx, ctx.config, eventId))) {
        outcome = { kind: 'not-on-sale' }
      } else {
        // Seats are picked under the section's row lock: no one else can pick them meanwhile. Lapsed holds go
        // first, so that their seats are free to pick.
        await expireSectionHolds(ctx, tx, section.id)
        await lockSection(tx, section, plan.quantity)
        const chosen = seated ? await chooseSeats(tx, section, input, plan.quantity) : []
        outcome = await write(tx, chosen)
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
  if (outcome.kind === 'not-on-sale')
    throw new AppError('EVENT_NOT_ON_SALE', 'This event is no longer on sale')
  if (outcome.kind === 'no-capacity') throw soldOut()
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
