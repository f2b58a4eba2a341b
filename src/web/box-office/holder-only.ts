// Which tickets are their holder's alone, so the pages offer the booker no action the service would refuse.
import { eq, inArray } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import { invoiceLines, invoices, tickets } from '../../db/schema/index.js'

export interface Handover {
  /** Handed over with a transfer (the ticket's row records when, not by whom). */
  transferred: boolean
  /**
   * Only the holder may give it back: the rule of refund.service.ts's holderOnly (transferred, or paid by its
   * holder on their own invoice), read here because the ticket's public shape does not carry it.
   */
  holderOnly: boolean
  /** Who pays the ticket's invoice: only they (and the event's organizer and admins) may open it. */
  payerId: number | null
}

export async function handoversOf(ctx: Ctx, ids: number[]): Promise<Map<number, Handover>> {
  if (ids.length === 0) return new Map()
  const rows = await ctx.db
    .select({
      id: tickets.id,
      holderId: tickets.holderId,
      transferredAt: tickets.transferredAt,
      payerId: invoices.payerId,
      paidAt: invoices.paidAt,
    })
    .from(tickets)
    .leftJoin(invoiceLines, eq(invoiceLines.ticketId, tickets.id))
    .leftJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
    .where(inArray(tickets.id, ids))
  return new Map(
    rows.map((r) => {
      const transferred = r.transferredAt !== null
      const paidByHolder = r.paidAt !== null && r.payerId === r.holderId
      return [r.id, { transferred, holderOnly: transferred || paidByHolder, payerId: r.payerId }]
    }),
  )
}
