// Tickets sold per day and per section, and what they brought in, for the organizer's sales chart. A ticket counts
// on the day its invoice was paid (UTC: events carry no time zone of their own yet), as long as it is still
// confirmed; a refunded or cancelled ticket leaves the series, as it leaves the revenue of the sales report, whose
// definition (`revenueCents`) the series shares: its days add up to the report's revenue.
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { invoiceLines, invoices, tickets } from '../../db/schema/index.js'
import { eventForChange } from './events.queries.js'
import { lineOfTicket, revenueCents } from './sales.service.js'

export interface DailySales {
  /** YYYY-MM-DD (UTC). */
  day: string
  section_id: number
  sold: number
  revenue_cents: number
}

export async function dailySales(ctx: Ctx, actor: Actor, eventId: number): Promise<DailySales[]> {
  await eventForChange(ctx.db, actor, eventId)
  const day = sql<string>`to_char(${invoices.paidAt} at time zone 'UTC', 'YYYY-MM-DD')`
  return ctx.db
    .select({
      day,
      section_id: tickets.sectionId,
      sold: sql<number>`count(*)`.mapWith(Number),
      revenue_cents: revenueCents,
    })
    .from(tickets)
    .innerJoin(invoiceLines, lineOfTicket)
    .innerJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
    .where(and(eq(tickets.eventId, eventId), eq(tickets.status, 'confirmed')))
    .groupBy(day, tickets.sectionId)
    .orderBy(asc(day), asc(tickets.sectionId))
}
