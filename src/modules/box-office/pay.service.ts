// Paying an invoice: the charge through the payment provider and the confirmation of its tickets, under the
// invoice's row lock.
import { eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, invoices, payments, tickets } from '../../db/schema/index.js'
import { AppError, forbidden } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import type { IdempotencyClaim } from '../../lib/idempotency.js'
import { queuePaymentReceipt } from '../../mail/queue.js'
import { emitWebhookEvents } from '../webhooks/webhooks.emit.js'
import { visibleInvoice } from './box-office.access.js'
import { moveCounters } from './box-office.capacity.js'
import { effectiveInvoiceStatus } from './box-office.holds.js'
import { ticketsForMail } from './box-office.mail.js'
import { heldTicketsOf, loadInvoice, loadTicket } from './box-office.queries.js'
import type { InvoiceT } from './box-office.schemas.js'
import { paymentProviderFor } from './payment-provider.js'
import { offerPaid } from './waitlist.notify.js'

/**
 * How long an unlocked payment (the invoice-lock control) waits between its check and its writes: long enough
 * for an event cancellation that first waits for the reservations in flight (0.2 s sometimes missed it).
 */
const UNLOCKED_PAYMENT_PAUSE_SECONDS = 0.5

/**
 * The invoice, locked (FOR UPDATE) and checked to be open and not past due; 409 INVOICE_NOT_OPEN otherwise.
 * The guard of every payment race. Its test-only control (UNSAFE_DISABLE_GUARDS=invoice-lock) is the naive
 * read without the row lock, with a pause between the check and the writes that follow (a test-only
 * widening) so that an expiry, a ticket given back, an event cancelled or another payment of this invoice
 * reliably lands in between.
 */
async function lockOpenInvoice(ctx: Ctx, tx: Db, id: number): Promise<typeof invoices.$inferSelect> {
  const read = tx
    .select({ row: invoices, status: effectiveInvoiceStatus })
    .from(invoices)
    .where(eq(invoices.id, id))
  const unlocked = guardDisabled(ctx.config, 'invoice-lock')
  const [invoice] = unlocked ? await read : await read.for('update')
  if (invoice?.status !== 'open') {
    throw new AppError('INVOICE_NOT_OPEN', `This invoice is ${invoice?.status ?? 'gone'}, not open`)
  }
  if (unlocked) await tx.execute(sql`select pg_sleep(${UNLOCKED_PAYMENT_PAUSE_SECONDS})`)
  return invoice.row
}

/**
 * Pays an invoice and confirms its tickets, all in one transaction under the invoice's row lock.
 *
 * The lock is what makes a payment and an expiry (sweep or lazy) of the same invoice mutually exclusive:
 * whoever locks first wins, and the other sees the outcome under its own lock (the expiry's conditional
 * UPDATE no longer matches; the payment re-reads `open` and not past due, else INVOICE_NOT_OPEN). The
 * provider is called while the lock is held, so a charge never lands on an invoice that expired meanwhile;
 * its key is per invoice, so a provider that honours keys cannot charge one invoice twice, and the partial
 * unique index payments_one_charge_key refuses a second recorded charge. (A slow real provider would want
 * authorise-then-capture around this lock; the built-in test provider answers at once.)
 */
export async function payInvoice(
  ctx: Ctx,
  actor: Actor,
  id: number,
  input: { payment_method: string },
  idempotency: IdempotencyClaim | null = null,
): Promise<InvoiceT> {
  const { isPayer } = await visibleInvoice(ctx.db, actor, id)
  if (!isPayer) throw forbidden('Only the payer can pay this invoice')
  return ctx.db.transaction(async (tx) => {
    const row = await lockOpenInvoice(ctx, tx, id)
    // Sales end when the event starts, held places included: a ticket paid for after it could not be refunded.
    const [event] = await tx
      .select({ started: sql<boolean>`${events.startsAt} <= now()` })
      .from(events)
      .where(eq(events.id, row.eventId))
    if (event?.started) {
      throw new AppError(
        'EVENT_STARTED',
        'The event has started: this hold can no longer be paid. Nothing was charged',
      )
    }
    const provider = paymentProviderFor(ctx)
    const charge = await provider.charge({
      amountCents: row.amountCents,
      currency: row.currency,
      paymentMethod: input.payment_method,
      idempotencyKey: `invoice-${row.id}`,
    })
    if (!charge.ok) throw new AppError('PAYMENT_DECLINED', charge.reason)

    await tx
      .update(invoices)
      .set({ status: 'paid', paidAt: sql`now()`, paymentReference: charge.reference, updatedAt: new Date() })
      .where(eq(invoices.id, row.id))
    const confirmed = await tx
      .update(tickets)
      .set({ status: 'confirmed', updatedAt: new Date() })
      .where(heldTicketsOf(tx, [row.id]))
      .returning({ id: tickets.id, sectionId: tickets.sectionId })
    await moveCounters(
      tx,
      confirmed.map((t) => ({ sectionId: t.sectionId, held: -1, sold: 1 })),
    )
    await offerPaid(tx, row.reservationId)
    await tx.insert(payments).values({
      invoiceId: row.id,
      kind: 'charge',
      provider: provider.name,
      method: input.payment_method,
      amountCents: row.amountCents,
      currency: row.currency,
      reference: charge.reference,
    })
    const body = await loadInvoice(tx, ctx.config, row.id)
    // An open invoice always has held tickets (releasing the last one voids it), so there is a receipt to send.
    const bought = await ticketsForMail(
      tx,
      confirmed.map((t) => t.id),
    )
    if (bought) {
      await queuePaymentReceipt(tx, ctx, {
        userId: actor.id,
        invoiceId: row.id,
        number: row.number,
        currency: row.currency,
        amountCents: row.amountCents,
        paidAt: body.paid_at!,
        ...bought,
        // ticketsForMail lists them in id order.
        ticketIds: confirmed.map((t) => t.id).sort((a, b) => a - b),
      })
    }
    await emitWebhookEvents(
      ctx,
      tx,
      confirmed.map((t) => ({
        eventId: row.eventId,
        type: 'ticket.confirmed' as const,
        data: () => loadTicket(tx, ctx.config, t.id),
      })),
    )
    await idempotency?.complete(tx, 200, body)
    return body
  })
}
