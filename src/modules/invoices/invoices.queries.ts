// Reading invoices with their payer and lines (new ones are written with their reservation: reservations.write.ts).
import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import { invoiceLines, invoices, tickets, users } from '../../db/schema/index.js'
import { type ProfileRow, toPublicUser } from '../users/users.schemas.js'
import type { InvoiceT } from './invoices.schemas.js'

/** The status a client sees: an open invoice past its due date is expired even before the sweep gets to it. */
export const effectiveInvoiceStatus = sql<
  InvoiceT['status']
>`case when ${invoices.status} = 'open' and ${invoices.dueAt} <= now() then 'expired' else ${invoices.status} end`

/** Invoices matching `where`, newest first unless `order` says otherwise, with their lines. */
export async function loadInvoices(
  db: Db,
  config: Config,
  where: SQL | undefined,
  page?: { limit: number; offset: number },
  order: 'newest' | 'oldest' = 'newest',
): Promise<InvoiceT[]> {
  const query = db
    .select({ invoice: invoices, status: effectiveInvoiceStatus, payer: users })
    .from(invoices)
    .leftJoin(users, eq(users.id, invoices.payerId))
    .where(where)
    .orderBy(order === 'newest' ? sql`${invoices.id} desc` : asc(invoices.id))
  const rows = page ? await query.limit(page.limit).offset(page.offset) : await query
  if (rows.length === 0) return []
  const lines = await db
    .select()
    .from(invoiceLines)
    .where(
      inArray(
        invoiceLines.invoiceId,
        rows.map((r) => r.invoice.id),
      ),
    )
    .orderBy(asc(invoiceLines.id))
  return rows.map((r) => toInvoice(config, r, lines))
}

type InvoiceRow = typeof invoices.$inferSelect
type LineRow = typeof invoiceLines.$inferSelect

/** An invoice row, its shown status, its payer and (among `lines`) its lines, as the API shows it. */
export function toInvoice(
  config: Config,
  {
    invoice: i,
    status,
    payer,
  }: { invoice: InvoiceRow; status: InvoiceT['status']; payer: ProfileRow | null },
  lines: LineRow[],
): InvoiceT {
  return {
    id: i.id,
    number: i.number,
    payer: payer ? toPublicUser(config, payer) : null,
    amount_cents: i.amountCents,
    refunded_cents: i.refundedCents,
    currency: i.currency,
    status,
    due_at: i.dueAt.toISOString(),
    paid_at: i.paidAt?.toISOString() ?? null,
    reservation_id: i.reservationId,
    event_id: i.eventId,
    created_at: i.createdAt.toISOString(),
    lines: lines
      .filter((l) => l.invoiceId === i.id)
      .map((l) => ({
        ticket_id: l.ticketId,
        description: l.description,
        amount_cents: l.amountCents,
        refunded_at: l.refundedAt?.toISOString() ?? null,
      })),
  }
}

export async function loadInvoice(db: Db, config: Config, id: number): Promise<InvoiceT> {
  const [invoice] = await loadInvoices(db, config, eq(invoices.id, id))
  if (!invoice) throw new Error(`invoice ${id} vanished inside its own transaction`)
  return invoice
}

/** The held tickets of these invoices (their lines'), as a condition on `tickets`: what paying or expiring them moves. */
export function heldTicketsOf(db: Db, invoiceIds: number[]): SQL | undefined {
  return and(
    eq(tickets.status, 'held'),
    inArray(
      tickets.id,
      db
        .select({ id: invoiceLines.ticketId })
        .from(invoiceLines)
        .where(inArray(invoiceLines.invoiceId, invoiceIds)),
    ),
  )
}
