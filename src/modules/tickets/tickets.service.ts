// Tickets: the caller's list, one ticket, giving one back (release or refund) and transferring it to a friend.
import { and, count, eq, inArray, or, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, invoiceLines, invoices, reservations, tickets, users } from '../../db/schema/index.js'
import { AppError, forbidden, invalid, notFound } from '../../lib/errors.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { queueTicketTransferred } from '../../mail/queue.js'
import { refundLines } from '../invoices/refunds.js'
import { assertFriends, enforceTicketLimit, isStaff } from '../reservations/reservations.access.js'
import { moveCounters } from '../reservations/reservations.capacity.js'
import { eventSummary, ticketLine } from './tickets.mail.js'
import { effectiveTicketStatus, loadTickets } from './tickets.queries.js'
import type { TicketT } from './tickets.schemas.js'

export async function listMyTickets(
  ctx: Ctx,
  actor: Actor,
  query: { status?: TicketT['status'] },
  page: PageParams,
): Promise<Page<TicketT>> {
  const where = and(
    or(eq(tickets.holderId, actor.id), eq(tickets.bookerId, actor.id)),
    query.status ? eq(effectiveTicketStatus, query.status) : undefined,
  )
  const data = await loadTickets(ctx.db, ctx.config, where, {
    limit: page.perPage,
    offset: page.offset,
    newestFirst: true,
  })
  const [total] = await ctx.db
    .select({ n: count() })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .where(where)
  return toPage(data, total?.n ?? 0, page)
}

type Role = 'holder' | 'booker' | 'staff'

/** The caller's relation to a ticket; 404 when they have none (not holder, booker, organizer or admin). */
async function roleOn(db: Db, actor: Actor, id: number): Promise<Set<Role>> {
  const [row] = await db
    .select({ holderId: tickets.holderId, bookerId: tickets.bookerId, organizerId: events.organizerId })
    .from(tickets)
    .innerJoin(events, eq(events.id, tickets.eventId))
    .where(eq(tickets.id, id))
  const roles = new Set<Role>()
  if (row?.holderId === actor.id) roles.add('holder')
  if (row?.bookerId === actor.id) roles.add('booker')
  if (row && isStaff(actor, row.organizerId)) roles.add('staff')
  if (roles.size === 0) throw notFound('Ticket')
  return roles
}

async function loadTicket(db: Db, ctx: Ctx, id: number): Promise<TicketT> {
  const [ticket] = await loadTickets(db, ctx.config, eq(tickets.id, id))
  if (!ticket) throw notFound('Ticket')
  return ticket
}

export async function getTicket(ctx: Ctx, actor: Actor, id: number): Promise<TicketT> {
  await roleOn(ctx.db, actor, id)
  return loadTicket(ctx.db, ctx, id)
}

/**
 * Gives a ticket back. A held ticket is released: its line leaves the open invoice (which is voided
 * when nothing is left on it). A confirmed ticket is refunded: its line is refunded through the provider
 * and the invoice becomes `refunded` once every line is. Either way the place returns to the section.
 * Locks the invoice first, then the ticket, then the section: the order payment and expiry use too.
 */
export async function cancelTicket(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  const roles = await roleOn(ctx.db, actor, id)
  if (!roles.has('holder') && !roles.has('booker'))
    throw forbidden('Only the holder or the booker can cancel')
  await ctx.db.transaction(async (tx) => {
    const [line] = await tx.select().from(invoiceLines).where(eq(invoiceLines.ticketId, id))
    const [invoice] = line
      ? await tx
          .select({ row: invoices, pastDue: sql<boolean>`${invoices.dueAt} <= now()` })
          .from(invoices)
          .where(eq(invoices.id, line.invoiceId))
          .for('update')
      : []
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update')
    if (!ticket) throw notFound('Ticket')
    const lapsed = ticket.status === 'held' && (invoice?.row.status !== 'open' || invoice.pastDue)
    if ((ticket.status !== 'held' && ticket.status !== 'confirmed') || lapsed) {
      throw new AppError('TICKET_NOT_LIVE', `This ticket is ${lapsed ? 'expired' : ticket.status} already`)
    }
    await tx.update(tickets).set({ status: 'cancelled', updatedAt: new Date() }).where(eq(tickets.id, id))
    if (ticket.status === 'held') {
      await tx.delete(invoiceLines).where(eq(invoiceLines.id, line!.id))
      await tx
        .update(invoices)
        .set({
          amountCents: sql`${invoices.amountCents} - ${line!.amountCents}`,
          status: sql`case when exists (select 1 from ${invoiceLines} where ${invoiceLines.invoiceId} = ${invoices.id}) then ${invoices.status} else 'void' end`,
          updatedAt: new Date(),
        })
        .where(eq(invoices.id, invoice!.row.id))
      await moveCounters(tx, [{ sectionId: ticket.sectionId, held: -1, sold: 0 }])
    } else {
      if (invoice) await refundLines(ctx, tx, invoice.row, [id])
      await moveCounters(tx, [{ sectionId: ticket.sectionId, held: 0, sold: -1 }])
    }
  })
}

/** Hands a confirmed ticket to a friend of its holder; the booker and the invoice stay as they were. */
export async function transferTicket(ctx: Ctx, actor: Actor, id: number, toUserId: number): Promise<TicketT> {
  const roles = await roleOn(ctx.db, actor, id)
  if (!roles.has('holder')) throw forbidden('Only the holder can transfer a ticket')
  if (toUserId === actor.id) throw invalid('body.user_id', 'you already hold this ticket')
  const [recipient] = await ctx.db.select({ id: users.id }).from(users).where(eq(users.id, toUserId))
  if (!recipient) throw notFound('User')
  await assertFriends(ctx.db, actor.id, [toUserId])
  return ctx.db.transaction(async (tx) => {
    const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update')
    if (!ticket || ticket.holderId !== actor.id) throw notFound('Ticket')
    if (ticket.status !== 'confirmed') {
      throw new AppError(
        'TICKET_NOT_CONFIRMED',
        `Only a confirmed ticket can be transferred; this one is ${ticket.status}`,
      )
    }
    const [event] = await tx
      .select()
      .from(events)
      .where(inArray(events.id, [ticket.eventId]))
    await enforceTicketLimit(ctx, tx, event!, new Map([[toUserId, 1]]))
    await tx.update(tickets).set({ holderId: toUserId, updatedAt: new Date() }).where(eq(tickets.id, id))
    const moved = await loadTicket(tx, ctx, id)
    const [from] = await tx.select({ name: users.displayName }).from(users).where(eq(users.id, actor.id))
    await queueTicketTransferred(tx, ctx, {
      userId: toUserId,
      fromName: from?.name ?? 'A friend',
      event: eventSummary(event!),
      ticket: ticketLine(moved.section.name, moved.seat),
    })
    return moved
  })
}
