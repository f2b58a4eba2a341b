// Tickets sold per day and per section, for the organizer's sales chart. A ticket counts on the day its invoice
// was paid (UTC: events carry no time zone of their own yet), as long as it is still confirmed; a refunded or
// cancelled ticket leaves the series, as it leaves the revenue of the sales report.
import { and, asc, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { invoiceLines, invoices, tickets } from '../../db/schema/index.js'
import { eventForChange } from './events.queries.js'

export interface DailySales {
  /** YYYY-MM-DD (UTC). */
  day: string
  section_id: number
  sold: number
}

export async function dailySales(ctx: Ctx, actor: Actor, eventId: number): Promise<DailySales[]> {
  await eventForChange(ctx.db, actor, eventId)
  const day = sql<string>`to_char(${invoices.paidAt} at time zone 'UTC', 'YYYY-MM-DD')`
  return ctx.db
    .select({ day, section_id: tickets.sectionId, sold: sql<number>`count(*)`.mapWith(Number) })
    .from(tickets)
    .innerJoin(invoiceLines, eq(invoiceLines.ticketId, tickets.id))
    .innerJoin(invoices, eq(invoices.id, invoiceLines.invoiceId))
    .where(and(eq(tickets.eventId, eventId), eq(tickets.status, 'confirmed')))
    .groupBy(day, tickets.sectionId)
    .orderBy(asc(day), asc(tickets.sectionId))
}
