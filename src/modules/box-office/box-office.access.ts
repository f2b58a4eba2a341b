// Who may see and act on the box office's things: the organizer or an admin (staff), a ticket's holder and
// booker, an invoice's payer, a reservation's booker; the friends a buyer may name; who may reserve at all.
import { eq } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, invoices, reservations, tickets, users } from '../../db/schema/index.js'
import { managesEvent } from '../../lib/access.js'
import { AppError, notFound } from '../../lib/errors.js'
import { areFriends } from '../friends/friends.queries.js'

/**
 * With REQUIRE_VERIFIED_EMAIL_TO_RESERVE, 403 EMAIL_NOT_VERIFIED unless the buyer verified their e-mail address:
 * throwaway accounts then cannot hold tickets. Read from the database, not the token: a change of address
 * unverifies it at once.
 */
export async function assertMayReserve(ctx: Ctx, actorId: number): Promise<void> {
  if (!ctx.config.REQUIRE_VERIFIED_EMAIL_TO_RESERVE) return
  const [user] = await ctx.db
    .select({ verifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, actorId))
  if (!user?.verifiedAt) {
    throw new AppError('EMAIL_NOT_VERIFIED', 'Verify your e-mail address before reserving tickets')
  }
}

/**
 * A member as a refusal names them, for the API's clients and the pages alike: "Ann Lee (@ann)", the name a page
 * shows and the username a client can look up (any member's profile is visible to every member). A user id
 * that names no one stays "User 17". Read only when a refusal needs it.
 */
export async function memberNamed(db: Db, userId: number): Promise<string> {
  const [user] = await db
    .select({ name: users.displayName, username: users.username })
    .from(users)
    .where(eq(users.id, userId))
  return user ? `${user.name} (@${user.username})` : `User ${userId}`
}

/** 403 NOT_FRIENDS unless every id is a friend of the actor. */
export async function assertFriends(db: Db, actorId: number, userIds: number[]): Promise<void> {
  for (const id of userIds) {
    if (!(await areFriends(db, actorId, id))) {
      throw new AppError('NOT_FRIENDS', `${await memberNamed(db, id)} is not your friend`)
    }
  }
}

export type TicketRole = 'holder' | 'booker' | 'staff'

/** The caller's relation to a ticket; 404 when they have none (not holder, booker, organizer or admin). */
export async function ticketRoles(db: Db, actor: Actor, id: number): Promise<Set<TicketRole>> {
  const [row] = await db
    .select({ holderId: tickets.holderId, bookerId: tickets.bookerId, organizerId: events.organizerId })
    .from(tickets)
    .innerJoin(events, eq(events.id, tickets.eventId))
    .where(eq(tickets.id, id))
  const roles = new Set<TicketRole>()
  if (row?.holderId === actor.id) roles.add('holder')
  if (row?.bookerId === actor.id) roles.add('booker')
  if (row && managesEvent(actor, row)) roles.add('staff')
  if (roles.size === 0) throw notFound('Ticket')
  return roles
}

/** Who may see an invoice: its payer, the event's organizer, an admin. Anyone else gets 404. */
export async function visibleInvoice(db: Db, actor: Actor, id: number): Promise<{ isPayer: boolean }> {
  const [row] = await db
    .select({ payerId: invoices.payerId, organizerId: events.organizerId })
    .from(invoices)
    .innerJoin(events, eq(events.id, invoices.eventId))
    .where(eq(invoices.id, id))
  if (!row || (row.payerId !== actor.id && !managesEvent(actor, row))) throw notFound('Invoice')
  return { isPayer: row.payerId === actor.id }
}

/** Who may see a reservation: its booker, the event's organizer, an admin. Anyone else gets 404. */
export async function assertReservationVisible(db: Db, actor: Actor, id: number): Promise<void> {
  const [row] = await db
    .select({ bookerId: reservations.bookerId, organizerId: events.organizerId })
    .from(reservations)
    .innerJoin(events, eq(events.id, reservations.eventId))
    .where(eq(reservations.id, id))
  if (!row || (row.bookerId !== actor.id && !managesEvent(actor, row))) throw notFound('Reservation')
}
