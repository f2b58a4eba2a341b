// Reading the box office: tickets with their event, section, seat, people and invoice in one query; invoices with
// their payer and lines; a reservation with both. (New ones are written with their reservation: reserve.write.ts.)
import { and, asc, count, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Config } from '../../config.js'
import { amongIds, amongPicked, type Db, preparedOnce, preparedPage } from '../../db/client.js'
import {
  events,
  invoiceLines,
  invoices,
  reservations,
  seats,
  sections,
  tickets,
  users,
} from '../../db/schema/index.js'
import { notFound } from '../../lib/errors.js'
import { type ProfileRow, profileColumns, toPublicUser } from '../users/users.schemas.js'
import { effectiveInvoiceStatus, effectiveTicketStatus } from './box-office.holds.js'
import type { InvoiceT, ReservationT, TicketT } from './box-office.schemas.js'

const holder = alias(users, 'holder')
const booker = alias(users, 'booker')

function ticketQuery(db: Db) {
  return db
    .select({
      ticket: tickets,
      status: effectiveTicketStatus,
      expiresAt: reservations.expiresAt,
      event: {
        id: events.id,
        title: events.title,
        startsAt: events.startsAt,
        timezone: events.timezone,
        currency: events.currency,
      },
      sectionName: sections.name,
      seat: { id: seats.id, row: seats.rowLabel, number: seats.number },
      holder: profileColumns(holder),
      booker: profileColumns(booker),
      invoiceId: invoiceLines.invoiceId,
    })
    .from(tickets)
    .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
    .innerJoin(events, eq(events.id, tickets.eventId))
    .innerJoin(sections, eq(sections.id, tickets.sectionId))
    .leftJoin(seats, eq(seats.id, tickets.seatId))
    .leftJoin(holder, eq(holder.id, tickets.holderId))
    .leftJoin(booker, eq(booker.id, tickets.bookerId))
    .leftJoin(invoiceLines, eq(invoiceLines.ticketId, tickets.id))
}

/** What a ticket is shown from: the ticket row with its event, section, seat, people and invoice. */
type TicketRow = Awaited<ReturnType<ReturnType<typeof ticketQuery>['execute']>>[number]

export function toTicket(config: Config, r: TicketRow): TicketT {
  return {
    id: r.ticket.id,
    status: r.status,
    event: {
      id: r.event.id,
      title: r.event.title,
      starts_at: r.event.startsAt.toISOString(),
      timezone: r.event.timezone,
    },
    section: { id: r.ticket.sectionId, name: r.sectionName },
    seat: r.seat ? { id: r.seat.id, row: r.seat.row, number: r.seat.number } : null,
    holder: r.holder ? toPublicUser(config, r.holder) : null,
    booker: r.booker ? toPublicUser(config, r.booker) : null,
    price_cents: r.ticket.priceCents,
    currency: r.event.currency,
    reservation_id: r.ticket.reservationId,
    invoice_id: r.invoiceId,
    expires_at: r.status === 'held' ? r.expiresAt.toISOString() : null,
    created_at: r.ticket.createdAt.toISOString(),
    checked_in_at: r.ticket.checkedInAt?.toISOString() ?? null,
  }
}

/**
 * The tickets `userId` holds or booked, newest first, one page, and how many there are in all: two named prepared
 * statements per shape (with or without a status, and the page size). The ticket read joins eight tables, and
 * planning that join took PostgreSQL 12–24 ms against 0.5 ms to run it (42 tickets; `explain (analyze, summary)`
 * and the log's `bind` step): prepared, a connection plans it a few times and then keeps the generic plan.
 * Call with the pool handle.
 */
export async function loadMyTickets(
  db: Db,
  config: Config,
  userId: number,
  status: TicketT['status'] | undefined,
  page: { limit: number; offset: number },
): Promise<{ data: TicketT[]; total: number }> {
  const shape = `my_tickets:${status === undefined ? 'all' : 'status'}:${page.limit}`
  const statements = preparedOnce(db, shape, (d, name) => {
    const where = and(
      or(eq(tickets.holderId, sql.placeholder('user')), eq(tickets.bookerId, sql.placeholder('user'))),
      status === undefined ? undefined : eq(effectiveTicketStatus, sql.placeholder('status')),
    )
    // The page size is written into the text, not bound: with a bound limit the generic plan looks costlier
    // than a custom one, and PostgreSQL would plan the join again on every call.
    const pageIds = sql`select ${tickets.id} from ${tickets}
      inner join ${reservations} on ${reservations.id} = ${tickets.reservationId}
      where ${where} order by ${tickets.id} desc
      limit ${sql.raw(String(page.limit))} offset ${sql.placeholder('offset')}`
    return {
      page: ticketQuery(d)
        .where(amongPicked(tickets.id, pageIds))
        .orderBy(desc(tickets.id))
        .prepare(`${name}:page`),
      total: d
        .select({ n: count() })
        .from(tickets)
        .innerJoin(reservations, eq(reservations.id, tickets.reservationId))
        .where(where)
        .prepare(`${name}:total`),
    }
  })
  const values = { user: userId, status: status ?? null, offset: page.offset }
  const [rows, [total]] = await Promise.all([
    statements.page.execute(values),
    statements.total.execute(values),
  ])
  return { data: rows.map((r) => toTicket(config, r)), total: total?.n ?? 0 }
}

function invoiceQuery(db: Db) {
  return db
    .select({ invoice: invoices, status: effectiveInvoiceStatus, payer: profileColumns(users) })
    .from(invoices)
    .leftJoin(users, eq(users.id, invoices.payerId))
}

/** The lines of some invoices, in id order: one prepared statement for any number of invoices. */
const linesStatement = (db: Db) =>
  preparedOnce(db, 'invoice_lines_of', (d, name) =>
    d
      .select()
      .from(invoiceLines)
      .where(amongIds(invoiceLines.invoiceId, 'invoices'))
      .orderBy(asc(invoiceLines.id))
      .prepare(name),
  )

/** The invoices of `rows` with their lines, as the API shows them. */
async function withLines(db: Db, config: Config, rows: InvoiceQueryRow[]): Promise<InvoiceT[]> {
  if (rows.length === 0) return []
  const lines = await linesStatement(db).execute({ invoices: rows.map((r) => r.invoice.id) })
  return rows.map((r) => toInvoice(config, r, lines))
}

/**
 * One invoice, or a reservation's invoices oldest first, with their payer: a prepared statement per key. On a
 * transaction's handle drizzle builds it for that transaction, and the connection still plans it once.
 */
const invoicesBy = (db: Db, key: 'id' | 'reservation') =>
  preparedOnce(db, `invoices_by_${key}`, (d, name) =>
    invoiceQuery(d)
      .where(eq(key === 'id' ? invoices.id : invoices.reservationId, sql.placeholder('key')))
      .orderBy(asc(invoices.id))
      .prepare(name),
  )

/**
 * The invoices `payerId` pays, newest first, one page with their lines, and how many there are in all: prepared
 * statements per shape (with or without a status; `preparedPage`). Built by drizzle and planned on every call,
 * the page's three statements cost more than running them. Call with the pool handle.
 */
export async function loadMyInvoices(
  db: Db,
  config: Config,
  payerId: number,
  status: InvoiceT['status'] | undefined,
  page: { limit: number; offset: number },
): Promise<{ data: InvoiceT[]; total: number }> {
  const shape = `my_invoices:${status === undefined ? 'all' : 'status'}`
  const values = { payer: payerId, status: status ?? null }
  const { rows, total } = await preparedPage(
    db,
    shape,
    { perPage: page.limit, offset: page.offset },
    values,
    (d) => {
      const where = and(
        eq(invoices.payerId, sql.placeholder('payer')),
        status === undefined ? undefined : eq(effectiveInvoiceStatus, sql.placeholder('status')),
      )
      return {
        // Its page size bound, the page still lets PostgreSQL keep the generic plan here, unlike the
        // tickets page's join.
        rows: invoiceQuery(d).where(where).orderBy(desc(invoices.id)).$dynamic(),
        total: d.select({ n: count() }).from(invoices).where(where).$dynamic(),
      }
    },
  )
  return { data: await withLines(db, config, rows), total: total[0]?.n ?? 0 }
}

type InvoiceRow = typeof invoices.$inferSelect
type InvoiceQueryRow = Awaited<ReturnType<ReturnType<typeof invoiceQuery>['execute']>>[number]
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
        discount_cents: l.discountCents,
        refunded_at: l.refundedAt?.toISOString() ?? null,
      })),
  }
}

export async function loadInvoice(db: Db, config: Config, id: number): Promise<InvoiceT> {
  const [invoice] = await withLines(db, config, await invoicesBy(db, 'id').execute({ key: id }))
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

/** One ticket as the API shows it; 404 when there is none. */
export async function loadTicket(db: Db, config: Config, id: number): Promise<TicketT> {
  // Prepared for the same reason as loadMyTickets: the eight-table join costs more to plan than to run.
  const statement = preparedOnce(db, 'ticket_by_id', (d, name) =>
    ticketQuery(d)
      .where(eq(tickets.id, sql.placeholder('id')))
      .prepare(name),
  )
  const [row] = await statement.execute({ id })
  if (!row) throw notFound('Ticket')
  return toTicket(config, row)
}

/**
 * The reservation with its tickets and invoices, as its booker sees it. Its three reads are prepared: planned on
 * every call, the tickets' eight-table join cost PostgreSQL ~9 ms a read (GET /reservations/{id} ran 142/s).
 */
const reservationStatements = (db: Db) =>
  preparedOnce(db, 'reservation_by_id', (d, name) => ({
    reservation: d
      .select()
      .from(reservations)
      .where(eq(reservations.id, sql.placeholder('id')))
      .prepare(name),
    tickets: ticketQuery(d)
      .where(eq(tickets.reservationId, sql.placeholder('id')))
      .orderBy(tickets.id)
      .prepare(`${name}:tickets`),
  }))

export async function loadReservation(db: Db, config: Config, id: number): Promise<ReservationT> {
  const statements = reservationStatements(db)
  const [r] = await statements.reservation.execute({ id })
  if (!r) throw notFound('Reservation')
  const ticketList = (await statements.tickets.execute({ id })).map((t) => toTicket(config, t))
  const invoiceList = await withLines(db, config, await invoicesBy(db, 'reservation').execute({ key: id }))
  return {
    id: r.id,
    event_id: r.eventId,
    expires_at: r.expiresAt.toISOString(),
    created_at: r.createdAt.toISOString(),
    tickets: ticketList,
    invoices: invoiceList,
  }
}
