// Giving a ticket back: a held ticket is released, a confirmed one refunded; its place returns to the section.
import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, invoiceLines, invoices, tickets, users } from '../../db/schema/index.js'
import { AppError, forbidden, notFound } from '../../lib/errors.js'
import type { TicketRefundedMail } from '../../mail/messages.js'
import { queueTicketRefunded } from '../../mail/queue.js'
import { emitWebhookEvent } from '../webhooks/webhooks.emit.js'
import { ticketRoles } from './box-office.access.js'
import { moveCounters } from './box-office.capacity.js'
import { invoiceLapsed } from './box-office.holds.js'
import { ticketsForMail } from './box-office.mail.js'
import { loadTicket } from './box-office.queries.js'
import { refundLines } from './refund.lines.js'
import { returnVoucherUses } from './vouchers.service.js'
import { offerGivenBack, placesCameBack } from './waitlist.notify.js'

/**
 * Gives a ticket back. A held ticket is released: its line leaves the open invoice (which is voided
 * when nothing is left on it). A confirmed ticket is refunded: its line is refunded through the provider
 * and the invoice becomes `refunded` once every line is. Either way the place returns to the section.
 * Locks the invoice first, then the ticket, then the section: the order payment and expiry use too.
 */
/**
 * Once a ticket has been handed to a friend, or its holder paid their own invoice for it (split payment), it is
 * the holder's alone: the booker may no longer give it back.
 */
function holderOnly(
  ticket: typeof tickets.$inferSelect,
  invoice: typeof invoices.$inferSelect | undefined,
): boolean {
  if (ticket.transferredAt !== null) return true
  return invoice?.paidAt != null && invoice.payerId === ticket.holderId
}

/** 409 ALREADY_CHECKED_IN: a ticket used at the door keeps its place and its check-in. */
export function usedAtTheDoor(at: Date, what: 'refunded' | 'transferred'): AppError {
  const iso = at.toISOString()
  return new AppError(
    'ALREADY_CHECKED_IN',
    `This ticket was used at the door at ${iso}: it cannot be ${what}`,
    {
      extensions: { checked_in_at: iso },
    },
  )
}

export async function cancelTicket(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  const roles = await ticketRoles(ctx.db, actor, id)
  if (!roles.has('holder') && !roles.has('booker'))
    throw forbidden('Only the holder or the booker can cancel')
  await ctx.db.transaction((tx) => giveBack(ctx, tx, id, actor))
}

/**
 * The live tickets `holderId` holds for events still to come are given back: their account is being deleted,
 * and nobody else may use or refund them (a transferred one is the holder's alone), so a seat would stay sold
 * for good. A held one is released, a confirmed one refunded to whoever paid for it; their places come back
 * (to the waiting list first). Tickets used at the door, or of events already started, stay as they are. Call
 * in the deletion's transaction, before the account's row goes. Returns how many it gave back.
 */
export async function giveBackTicketsOfHolder(ctx: Ctx, tx: Db, holderId: number): Promise<number> {
  const live = await tx
    .select({ id: tickets.id })
    .from(tickets)
    .innerJoin(events, eq(events.id, tickets.eventId))
    .where(
      and(
        eq(tickets.holderId, holderId),
        inArray(tickets.status, ['held', 'confirmed']),
        isNull(tickets.checkedInAt),
        sql`${events.startsAt} > now()`,
      ),
    )
    .orderBy(asc(tickets.id))
  let given = 0
  for (const { id } of live) if (await giveBack(ctx, tx, id, null)) given++
  return given
}

/**
 * Gives ticket `id` back in `tx`, for `actor` (its holder or booker, checked again on the locked row; a refusal
 * throws), or for its holder leaving (`null`: a ticket no longer live, used or started is kept, and false
 * returned).
 */
async function giveBack(ctx: Ctx, tx: Db, id: number, actor: Actor | null): Promise<boolean> {
  const [line] = await tx.select().from(invoiceLines).where(eq(invoiceLines.ticketId, id))
  const [invoice] = line
    ? await tx
        .select({ row: invoices, lapsed: sql<boolean>`${invoiceLapsed}` })
        .from(invoices)
        .where(eq(invoices.id, line.invoiceId))
        .for('update')
    : []
  const [ticket] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update')
  if (!ticket) throw notFound('Ticket')
  // Who may act is decided again on the locked row: a transfer or a payment may have landed since.
  if (actor && ticket.holderId !== actor.id) {
    if (ticket.bookerId !== actor.id) throw forbidden('Only the holder or the booker can cancel')
    if (holderOnly(ticket, invoice?.row)) {
      throw forbidden('This ticket was transferred or paid for by its holder: only the holder can cancel it')
    }
  }
  const lapsed = ticket.status === 'held' && (invoice?.row.status !== 'open' || invoice.lapsed)
  if ((ticket.status !== 'held' && ticket.status !== 'confirmed') || lapsed) {
    if (!actor) return false
    throw new AppError('TICKET_NOT_LIVE', `This ticket is ${lapsed ? 'expired' : ticket.status} already`)
  }
  if (ticket.status === 'confirmed') {
    const [event] = await tx
      .select({ started: sql<boolean>`${events.startsAt} <= now()` })
      .from(events)
      .where(eq(events.id, ticket.eventId))
    if (event?.started) {
      if (!actor) return false
      throw new AppError('EVENT_STARTED', 'The event has started: this ticket can no longer be refunded')
    }
    if (ticket.checkedInAt !== null) {
      if (!actor) return false
      throw usedAtTheDoor(ticket.checkedInAt, 'refunded')
    }
  }
  await tx
    .update(tickets)
    .set({ status: 'cancelled', codeVersion: sql`${tickets.codeVersion} + 1`, updatedAt: new Date() })
    .where(eq(tickets.id, id))
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
    await returnVoucherUses(tx, [ticket.reservationId])
    await offerGivenBack(tx, ticket.reservationId)
  } else {
    const refunded = invoice ? await refundLines(ctx, tx, invoice.row, [id]) : 0
    if (invoice && refunded > 0) await tellPayer(ctx, tx, invoice.row, ticket, refunded, actor)
    await moveCounters(tx, [{ sectionId: ticket.sectionId, held: 0, sold: -1 }])
    await emitWebhookEvent(ctx, tx, {
      eventId: ticket.eventId,
      type: 'ticket.refunded',
      data: () => loadTicket(tx, ctx.config, id),
    })
  }
  await placesCameBack(ctx, tx, [ticket.sectionId])
  return true
}

/**
 * Tells the payer of a given-back ticket's invoice what was refunded to them, and who gave it back (a payer who
 * paid for a friend's ticket hears of it too). Written in the refund's transaction.
 */
async function tellPayer(
  ctx: Ctx,
  tx: Db,
  invoice: typeof invoices.$inferSelect,
  ticket: typeof tickets.$inferSelect,
  amountCents: number,
  actor: Actor | null,
): Promise<void> {
  // A payer closing their own account has no one to tell.
  if (invoice.payerId === null || (!actor && invoice.payerId === ticket.holderId)) return
  const mail = await ticketsForMail(tx, [ticket.id])
  if (!mail?.tickets[0]) return
  let by: TicketRefundedMail['by'] = { kind: 'account-closed' }
  if (actor?.id === invoice.payerId) by = { kind: 'you' }
  else if (actor) {
    const [holder] = await tx.select({ name: users.displayName }).from(users).where(eq(users.id, actor.id))
    by = { kind: 'holder', name: holder?.name ?? 'Its holder' }
  }
  await queueTicketRefunded(tx, ctx, {
    userId: invoice.payerId,
    invoiceId: invoice.id,
    number: invoice.number,
    event: mail.event,
    ticket: mail.tickets[0],
    currency: invoice.currency,
    amountCents,
    by,
  })
}
