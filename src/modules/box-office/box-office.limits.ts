// The per-user ticket limit (max_tickets_per_user), and when the event sets none the default cap on live holds
// (MAX_HELD_TICKETS_PER_EVENT): counted and enforced under a per-(event, user) lock.
import { and, count, eq, or, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import { type Db, runStatement, type Statement } from '../../db/client.js'
import { type events, reservations, tickets } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import { plural } from '../../mail/format.js'
import { memberNamed } from './box-office.access.js'
import { ticketLive } from './box-office.holds.js'

type EventRow = typeof events.$inferSelect

/** Live tickets of an event that a user booked or holds; a lapsed hold no longer counts. */
export async function liveTicketsOf(tx: Db, eventId: number, userId: number): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .where(
      and(
        eq(tickets.eventId, eventId),
        or(eq(tickets.bookerId, userId), eq(tickets.holderId, userId)),
        ticketLive,
      ),
    )
  return row?.n ?? 0
}

/** Live held tickets of an event that a user booked: what MAX_HELD_TICKETS_PER_EVENT caps. */
async function liveHoldsBookedBy(tx: Db, eventId: number, userId: number): Promise<number> {
  const [row] = await tx
    .select({ n: count() })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .where(
      and(eq(tickets.eventId, eventId), eq(tickets.bookerId, userId), eq(tickets.status, 'held'), ticketLive),
    )
  return row?.n ?? 0
}

/**
 * Enforces, when the event sets no max_tickets_per_user, the default cap on the live holds one booker may have
 * (`quantity` more to book), under the same per-(event, user) lock: the reservation statement takes it too
 * (box_office_live_holds), so the fast path and this one never both count the same holds.
 */
export async function enforceHoldCap(
  ctx: Ctx,
  tx: Db,
  event: Pick<EventRow, 'id' | 'maxTicketsPerUser'>,
  bookerId: number,
  quantity: number,
): Promise<void> {
  const max = ctx.config.MAX_HELD_TICKETS_PER_EVENT
  if (event.maxTicketsPerUser !== null || max === 0) return
  const lock = limitLockFor(ctx)
  await lock.take(tx, event.id, [bookerId])
  const have = await liveHoldsBookedBy(tx, event.id, bookerId)
  if (have + quantity > max) {
    throw new AppError(
      'TICKET_LIMIT_EXCEEDED',
      `At most ${plural(max, 'unpaid ticket')} per person for this event${have === 0 ? '' : `; you already hold ${have}: pay for them first`}`,
    )
  }
  await lock.afterCount(tx)
}

/**
 * Enforces max_tickets_per_user for every user who gains tickets (`adding`: user id → tickets added). A refusal
 * names who is at the limit: "you" for the actor, a friend by name.
 *
 * Counting and inserting are made atomic per (event, user) by a transaction-scoped advisory lock, taken
 * in user-id order so that two reservations naming the same people cannot deadlock. Concurrent requests
 * of one user queue on it and each counts the tickets the previous one committed. (The section's row lock
 * would not do: one user's requests may go to different sections.)
 */
export async function enforceTicketLimit(
  ctx: Ctx,
  tx: Db,
  event: Pick<EventRow, 'id' | 'maxTicketsPerUser'>,
  actorId: number,
  adding: Map<number, number>,
): Promise<void> {
  const max = event.maxTicketsPerUser
  if (max === null) return
  const userIds = [...adding.keys()].sort((a, b) => a - b)
  const lock = limitLockFor(ctx)
  await lock.take(tx, event.id, userIds)
  for (const userId of userIds) {
    const have = await liveTicketsOf(tx, event.id, userId)
    if (have + adding.get(userId)! > max) {
      const who = userId === actorId ? 'you already have' : `${await memberNamed(tx, userId)} already has`
      throw new AppError(
        'TICKET_LIMIT_EXCEEDED',
        `At most ${plural(max, 'ticket')} per person for this event${have === 0 ? '' : `; ${who} ${have}`}`,
      )
    }
  }
  await lock.afterCount(tx)
}

/**
 * Whether `holders` (one entry per ticket, booker first) may gain these tickets of `event` booked by `bookerId`
 * without passing max_tickets_per_user, or when the event sets none the default cap on live holds: the
 * question enforceTicketLimit and enforceHoldCap answer with an error, answered with a boolean for whoever
 * books on someone's behalf (the waiting list), which then passes the request by.
 *
 * It takes the same per-(event, user) locks, but only if they are free (pg_try_advisory_xact_lock): the
 * caller already holds a section's row lock, which a reservation of the same user may be waiting for while
 * holding the user's lock; waiting here could deadlock. A lock that is busy (that user is reserving right now)
 * answers false: nothing is counted twice, and the request is looked at again when places next come back.
 */
export async function mayGainTickets(
  ctx: Ctx,
  tx: Db,
  event: Pick<EventRow, 'id' | 'maxTicketsPerUser'>,
  bookerId: number,
  holders: number[],
): Promise<boolean> {
  const max = event.maxTicketsPerUser
  const cap = ctx.config.MAX_HELD_TICKETS_PER_EVENT
  if (max === null && cap === 0) return true
  const adding = new Map<number, number>()
  for (const h of holders) adding.set(h, (adding.get(h) ?? 0) + 1)
  const userIds = max === null ? [bookerId] : [...adding.keys()].sort((a, b) => a - b)
  const lock = limitLockFor(ctx)
  if (!(await lock.tryTake(tx, event.id, userIds))) return false
  let fits = true
  if (max === null) {
    fits = (await liveHoldsBookedBy(tx, event.id, bookerId)) + holders.length <= cap
  } else {
    for (const userId of userIds) {
      if ((await liveTicketsOf(tx, event.id, userId)) + adding.get(userId)! > max) fits = false
    }
  }
  await lock.afterCount(tx)
  return fits
}

interface LimitLock {
  take(tx: Db, eventId: number, userIds: number[]): Promise<void>
  /** Takes the locks only if each is free: false (some may be taken, held until commit) when one is not. */
  tryTake(tx: Db, eventId: number, userIds: number[]): Promise<boolean>
  afterCount(tx: Db): Promise<void>
}

const TRY_LIMIT_LOCK: Statement = {
  name: 'ticket_limit_try_lock',
  text: 'select pg_try_advisory_xact_lock(hashtextextended($1::text, 0)) as ok',
}

const limitKey = (eventId: number, userId: number) => `stagedoor:ticket-limit:${eventId}:${userId}`

/** The guard: one advisory lock per (event, user), in the order given. */
const ADVISORY: LimitLock = {
  async take(tx, eventId, userIds) {
    for (const userId of userIds) {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${limitKey(eventId, userId)}, 0))`)
    }
  },
  async tryTake(tx, eventId, userIds) {
    for (const userId of userIds) {
      const [row] = await runStatement<{ ok: boolean }>(tx, TRY_LIMIT_LOCK, [limitKey(eventId, userId)])
      if (!row?.ok) return false
    }
    return true
  },
  async afterCount() {},
}

/**
 * Its test-only control (UNSAFE_DISABLE_GUARDS=ticket-limit): no lock, the naive count-then-insert in which
 * concurrent requests of one user all count the same tickets, with a pause after the count (a test-only
 * widening) so that they do even on a loaded machine.
 */
const UNLOCKED: LimitLock = {
  async take() {},
  async tryTake() {
    return true
  },
  async afterCount(tx) {
    await tx.execute(sql`select pg_sleep(0.2)`)
  },
}

const limitLockFor = (ctx: Ctx): LimitLock =>
  guardDisabled(ctx.config, 'ticket-limit') ? UNLOCKED : ADVISORY
