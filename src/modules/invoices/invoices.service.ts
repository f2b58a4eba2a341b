// Invoices: the payer's list, one invoice for the people who may see it, and paying it.
import { and, count, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { events, invoices, payments, tickets } from '../../db/schema/index.js'
import { AppError, forbidden, notFound } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import type { IdempotencyClaim } from '../../lib/idempotency.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { queuePaymentReceipt } from '../../mail/queue.js'
import { isStaff } from '../reservations/reservations.access.js'
import { moveCounters } from '../reservations/reservations.capacity.js'
import { ticketsForMail } from '../tickets/tickets.mail.js'
import { effectiveInvoiceStatus, heldTicketsOf, loadInvoice, loadInvoices } from './invoices.queries.js'
import type { InvoiceT } from './invoices.schemas.js'
import { paymentProviderFor } from './payment-provider.js'

export async function listMyInvoices(
  ctx: Ctx,
  actor: Actor,
  query: { status?: InvoiceT['status'] },
  page: PageParams,
): Promise<Page<InvoiceT>> {
  const where = and(
    eq(invoices.payerId, actor.id),
    query.status ? eq(effectiveInvoiceStatus, query.status) : undefined,
  )
  const data = await loadInvoices(ctx.db, ctx.config, where, { limit: page.perPage, offset: page.offset })
  const [total] = await ctx.db.select({ n: count() }).from(invoices).where(where)
  return toPage(data, total?.n ?? 0, page)
}

/** Who may see an invoice: its payer, the event's organizer, an admin. Anyone else gets 404. */
async function visibleInvoice(ctx: Ctx, actor: Actor, id: number) {
  const [row] = await ctx.db
    .select({ payerId: invoices.payerId, organizerId: events.organizerId })
    .from(invoices)
    .innerJoin(events, eq(events.id, invoices.eventId))
    .where(eq(invoices.id, id))
  if (!row || (row.payerId !== actor.id && !isStaff(actor, row.organizerId))) throw notFound('Invoice')
  return { isPayer: row.payerId === actor.id }
}

export async function getInvoice(ctx: Ctx, actor: Actor, id: number): Promise<InvoiceT> {
  await visibleInvoice(ctx, actor, id)
  return loadInvoice(ctx.db, ctx.config, id)
}

/**
 * How long an unlocked payment (the invoice-lock control) waits between its check and its writes: long enough
 * for an event cancellation that first waits for the reservations in flight (0.2 s sometimes missed it).
 */
const UNLOCKED_PAYMENT_PAUSE_SECONDS = 0.5

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
  const { isPayer } = await visibleInvoice(ctx, actor, id)
  if (!isPayer) throw forbidden('Only the payer can pay this invoice')
  return ctx.db.transaction(async (tx) => {
    const read = tx
      .select({ row: invoices, status: effectiveInvoiceStatus })
      .from(invoices)
      .where(eq(invoices.id, id))
    // Test-only control (UNSAFE_DISABLE_GUARDS=invoice-lock): the naive read without the row lock, and a
    // pause between the check and the writes (a test-only widening) so that an expiry, a ticket given back,
    // an event cancelled or another payment of this invoice reliably lands in between.
    const unlocked = guardDisabled(ctx.config, 'invoice-lock')
    const [invoice] = unlocked ? await read : await read.for('update')
    if (invoice?.status !== 'open') {
      throw new AppError('INVOICE_NOT_OPEN', `This invoice is ${invoice?.status ?? 'gone'}, not open`)
    }
    if (unlocked) await tx.execute(sql`select pg_sleep(${UNLOCKED_PAYMENT_PAUSE_SECONDS})`)
    const { row } = invoice
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
      })
    }
    await idempotency?.complete(tx, 200, body)
    return body
  })
}
