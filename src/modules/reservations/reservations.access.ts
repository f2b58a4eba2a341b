// Who may see and buy into an event, and the per-user ticket limit.
import { and, count, eq, or, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { type events, reservations, tickets } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import { areFriends } from '../friends/friends.queries.js'

type EventRow = typeof events.$inferSelect

/** The organizer or an admin (role read from the database for this request). */
export function isStaff(actor: Actor, organizerId: number | null): boolean {
  return actor.role === 'admin' || (organizerId !== null && organizerId === actor.id)
}

/** 403 NOT_FRIENDS unless every id is a friend of the actor. */
export async function assertFriends(db: Db, actorId: number, userIds: number[]): Promise<void> {
  for (const id of userIds) {
    if (!(await areFriends(db, actorId, id))) {
      throw new AppError('NOT_FRIENDS', `User ${id} is not your friend`)
    }
  }
}

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
        or(
          eq(tickets.status, 'confirmed'),
          and(eq(tickets.status, 'held'), sql`${reservations.expiresAt} > now()`),
        ),
      ),
    )
  return row?.n ?? 0
}

/**
 * Enforces max_tickets_per_user for every user who gains tickets (`adding`: user id → tickets added).
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
  adding: Map<number, number>,
): Promise<void> {
  const max = event.maxTicketsPerUser
  if (max === null) return
  const userIds = [...adding.keys()].sort((a, b) => a - b)
  // Test-only control (UNSAFE_DISABLE_GUARDS=ticket-limit): no lock, the naive count-then-insert in which
  // concurrent requests of one user all count the same tickets, with a pause after the count (a test-only
  // widening) so that they do even on a loaded machine.
  const unlocked = guardDisabled(ctx.config, 'ticket-limit')
  if (!unlocked) {
    for (const userId of userIds) {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`stagedoor:ticket-limit:${event.id}:${userId}`}, 0))`,
      )
    }
  }
  for (const userId of userIds) {
    const have = await liveTicketsOf(tx, event.id, userId)
    if (have + adding.get(userId)! > max) {
      throw new AppError(
        'TICKET_LIMIT_EXCEEDED',
        `At most ${max} tickets per person for this event; user ${userId} already has ${have}`,
      )
    }
  }
  if (unlocked) await tx.execute(sql`select pg_sleep(0.2)`)
}
