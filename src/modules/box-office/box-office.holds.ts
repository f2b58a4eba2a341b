// What a live hold is, said once. A reservation holds its tickets until its expiry (reservations.expires_at,
// which its invoices' due_at equals): a held ticket whose reservation has expired, or an open invoice past its
// due time, has lapsed, whether or not the sweep has expired it yet. Everything that counts, shows, pays or
// expires holds uses these conditions.
import { and, eq, gt, lte, or, sql } from 'drizzle-orm'
import { invoices, reservations, tickets } from '../../db/schema/index.js'
import type { InvoiceT, TicketT } from './box-office.schemas.js'

/** A held ticket whose hold has lapsed (needs `reservations` joined on the ticket). */
export const ticketHoldLapsed = and(eq(tickets.status, 'held'), lte(reservations.expiresAt, sql`now()`))!

/** A ticket that takes a place for someone: confirmed, or held and not lapsed (needs `reservations` joined). */
export const ticketLive = or(
  eq(tickets.status, 'confirmed'),
  and(eq(tickets.status, 'held'), gt(reservations.expiresAt, sql`now()`)),
)!

/** The status a client sees: a held ticket whose hold lapsed is expired even before the sweep runs. */
export const effectiveTicketStatus = sql<
  TicketT['status']
>`case when ${ticketHoldLapsed} then 'expired' else ${tickets.status} end`

/** An open invoice past its due time: its hold lapsed, and it can no longer be paid. */
export const invoiceLapsed = and(eq(invoices.status, 'open'), lte(invoices.dueAt, sql`now()`))!

/** The same condition in the reservation statement's SQL, on `invoices` unqualified. */
export const INVOICE_LAPSED_SQL = `status = 'open' and due_at <= now()`

/** The status a client sees: an open invoice past its due date is expired even before the sweep gets to it. */
export const effectiveInvoiceStatus = sql<
  InvoiceT['status']
>`case when ${invoiceLapsed} then 'expired' else ${invoices.status} end`
