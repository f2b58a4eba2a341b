// Transferring a confirmed ticket to a friend of its holder.
import { eq, inArray, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { events, tickets, users } from '../../db/schema/index.js'
import { AppError, forbidden, invalid, notFound } from '../../lib/errors.js'
import { queueTicketTransferred } from '../../mail/queue.js'
import { emitWebhookEvent } from '../webhooks/webhooks.emit.js'
import { assertFriends, ticketRoles } from './box-office.access.js'
import { enforceTicketLimit } from './box-office.limits.js'
import { eventSummary, ticketLine } from './box-office.mail.js'
import { loadTicket } from './box-office.queries.js'
import type { TicketT } from './box-office.schemas.js'
import { usedAtTheDoor } from './refund.service.js'

/** Hands a confirmed ticket to a friend of its holder; the booker and the invoice stay as they were. */
export async function transferTicket(ctx: Ctx, actor: Actor, id: number, toUserId: number): Promise<TicketT> {
  const roles = await ticketRoles(ctx.db, actor, id)
  if (!roles.has('holder')) throw forbidden('Only the holder can transfer a ticket')
  if (toUserId === actor.id) throw invalid('body.user_id', 'you already hold this ticket')
  const [recipient] = await ctx.db.select({ id: users.id }).from(users).where(eq(users.id, toUserId))
  if (!recipient) throw notFound('User')
  await assertFriends(ctx.db, actor.id, [toUserId])
  return ctx.db.transaction(async (tx) => {
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update')
    if (!ticket) throw notFound('Ticket')
    // Transferred away while this request waited for the lock: answered as the same request sent a moment later
    // is (403 while they can still see the ticket, as its booker or organizer; else 404).
    if (ticket.holderId !== actor.id) {
      await ticketRoles(tx, actor, id)
      throw forbidden('Only the holder can transfer a ticket')
    }
    if (ticket.status !== 'confirmed') {
      throw new AppError(
        'TICKET_NOT_CONFIRMED',
        `Only a confirmed ticket can be transferred; this one is ${ticket.status}`,
      )
    }
    if (ticket.checkedInAt !== null) throw usedAtTheDoor(ticket.checkedInAt, 'transferred')
    const [event] = await tx
      .select()
      .from(events)
      .where(inArray(events.id, [ticket.eventId]))
    await enforceTicketLimit(ctx, tx, event!, actor.id, new Map([[toUserId, 1]]))
    await tx
      .update(tickets)
      .set({
        holderId: toUserId,
        transferredAt: new Date(),
        codeVersion: sql`${tickets.codeVersion} + 1`,
        updatedAt: new Date(),
      })
      .where(eq(tickets.id, id))
    const moved = await loadTicket(tx, ctx.config, id)
    const [from] = await tx.select({ name: users.displayName }).from(users).where(eq(users.id, actor.id))
    await queueTicketTransferred(tx, ctx, {
      userId: toUserId,
      fromName: from?.name ?? 'A friend',
      event: eventSummary(event!),
      ticket: ticketLine(moved.section.name, moved.seat),
    })
    await emitWebhookEvent(ctx, tx, { eventId: ticket.eventId, type: 'ticket.transferred', data: moved })
    return moved
  })
}
