// Refunds of paid invoice lines through the payment provider: partial (one ticket) or whole (an event cancelled).
import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { invoiceLines, invoices, payments } from '../../db/schema/index.js'
import { paymentProviderFor } from './payment-provider.js'

type InvoiceRow = typeof invoices.$inferSelect

/**
 * Refunds the not yet refunded lines of a paid invoice (only those of `ticketIds` when given). The caller
 * holds the invoice row lock (FOR UPDATE), so two refunds of one line cannot both count it: the line's
 * `refunded_at is null` condition lets only one of them move it. The invoice becomes `refunded` when every
 * line is; until then it stays `paid` with `refunded_cents` telling how much went back.
 */
export async function refundLines(
  ctx: Ctx,
  tx: Db,
  invoice: InvoiceRow,
  ticketIds?: number[],
): Promise<number> {
  const lines = await tx
    .update(invoiceLines)
    .set({ refundedAt: sql`now()` })
    .where(
      and(
        eq(invoiceLines.invoiceId, invoice.id),
        isNull(invoiceLines.refundedAt),
        ticketIds ? inArray(invoiceLines.ticketId, ticketIds) : undefined,
      ),
    )
    .returning({ amountCents: invoiceLines.amountCents })
  if (lines.length === 0) return 0
  const amount = lines.reduce((sum, l) => sum + l.amountCents, 0)
  if (amount > 0) {
    const provider = paymentProviderFor(ctx)
    // One refund per set of lines: the first refunded line's ticket makes the provider-side key unique.
    const refund = await provider.refund({
      chargeReference: invoice.paymentReference ?? '',
      amountCents: amount,
      currency: invoice.currency,
      idempotencyKey: `invoice-${invoice.id}-refund-${invoice.refundedCents}-${amount}`,
    })
    await tx.insert(payments).values({
      invoiceId: invoice.id,
      kind: 'refund',
      provider: provider.name,
      amountCents: amount,
      currency: invoice.currency,
      reference: refund.reference,
    })
  }
  await tx
    .update(invoices)
    .set({
      refundedCents: sql`${invoices.refundedCents} + ${amount}`,
      status: sql`case when exists (select 1 from ${invoiceLines} where ${invoiceLines.invoiceId} = ${invoice.id} and ${invoiceLines.refundedAt} is null) then ${invoices.status} else 'refunded' end`,
      updatedAt: new Date(),
    })
    .where(eq(invoices.id, invoice.id))
  return amount
}
