// Tickets sold per day and per section, and what they brought in, for the organizer's sales chart. A ticket counts
// on the day its invoice was paid, on the clock of the event's time zone, as long as it is still
// confirmed; a refunded or cancelled ticket leaves the series, as it leaves the revenue of the sales report, whose
// definition (`revenueCents`) the series shares: its days add up to the report's revenue.
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { invoiceLines, invoices, tickets } from '../../db/schema/index.js'
import { eventForChange } from './events.queries.js'
import { lineOfTicket, revenueCents } from './sales.service.js'

export interface DailySales {
  /** YYYY-MM-DD, in the event's time zone. */
  day: string
  section_id: number
  sold: number
  revenue_cents: number
}

export async function dailySales(ctx: Ctx, actor: Actor, eventId: number): Promise<DailySales[]> {
  const event = await eventForChange(ctx.db, actor, eventId)
  const day = sql<string>`to_char(${invoices.paidAt} at time zone ${event.timezone}, 'YYYY-MM-DD')`
  // The day is grouped and ordered by its place in the select list: written again, the zone would be another
  // parameter, and PostgreSQL would not take the two expressions for one.
  const first = sql`1`
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
    .groupBy(first, tickets.sectionId)
    .orderBy(asc(first), asc(tickets.sectionId))
}
