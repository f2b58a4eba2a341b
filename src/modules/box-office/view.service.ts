// Reading the box office for the people who may see it: the caller's tickets and invoices, one ticket, one
// invoice, one reservation.
import { and, eq } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { reservations } from '../../db/schema/index.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { assertReservationVisible, ticketRoles, visibleInvoice } from './box-office.access.js'
import {
  loadInvoice,
  loadMyInvoices,
  loadMyTickets,
  loadReservation,
  loadTicket,
} from './box-office.queries.js'
import type { InvoiceT, ReservationT, TicketT } from './box-office.schemas.js'
import { withCodes } from './ticket-code.js'

export async function listMyTickets(
  ctx: Ctx,
  actor: Actor,
  query: { status?: TicketT['status'] },
  page: PageParams,
): Promise<Page<TicketT>> {
  const { data, total } = await loadMyTickets(ctx.db, ctx.config, actor.id, query.status, {
    limit: page.perPage,
    offset: page.offset,
  })
  return toPage(await withCodes(ctx.db, actor.id, data), total, page)
}

export async function getTicket(ctx: Ctx, actor: Actor, id: number): Promise<TicketT> {
  await ticketRoles(ctx.db, actor, id)
  const [ticket] = await withCodes(ctx.db, actor.id, [await loadTicket(ctx.db, ctx.config, id)])
  return ticket!
}

export async function listMyInvoices(
  ctx: Ctx,
  actor: Actor,
  query: { status?: InvoiceT['status'] },
  page: PageParams,
): Promise<Page<InvoiceT>> {
  const { data, total } = await loadMyInvoices(ctx.db, ctx.config, actor.id, query.status, {
    limit: page.perPage,
    offset: page.offset,
  })
  return toPage(data, total, page)
}

export async function getInvoice(ctx: Ctx, actor: Actor, id: number): Promise<InvoiceT> {
  await visibleInvoice(ctx.db, actor, id)
  return loadInvoice(ctx.db, ctx.config, id)
}

/** Whether `actor` made reservation `id` (its checkout is theirs): a payer of one of its invoices may not have. */
export async function isBookerOf(ctx: Ctx, actor: Actor, id: number): Promise<boolean> {
  const [row] = await ctx.db
    .select({ id: reservations.id })
    .from(reservations)
    .where(and(eq(reservations.id, id), eq(reservations.bookerId, actor.id)))
  return row !== undefined
}

/** A reservation for its booker, the event's organizer or an admin; 404 for anyone else. */
export async function getReservation(ctx: Ctx, actor: Actor, id: number): Promise<ReservationT> {
  await assertReservationVisible(ctx.db, actor, id)
  return loadReservation(ctx.db, ctx.config, id)
}
