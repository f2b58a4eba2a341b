// The box office: sections and seats of an event, reservations holding tickets, invoices paying for them.
// Money rows never cascade from people: a deleted user leaves their invoices behind, anonymised.
import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { users } from './accounts.js'
import { events } from './events.js'
import { vouchers } from './vouchers.js'

const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
}

/**
 * A section sells up to `capacity` tickets. `held` and `sold` are counters kept in step with the tickets,
 * and the database itself refuses `held + sold > capacity`.
 */
export const sections = pgTable(
  'sections',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: ['general', 'seated'] }).notNull(),
    priceCents: integer('price_cents').notNull(),
    capacity: integer('capacity').notNull(),
    rows: integer('rows'),
    seatsPerRow: integer('seats_per_row'),
    held: integer('held').notNull().default(0),
    sold: integer('sold').notNull().default(0),
    position: integer('position').notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index('sections_event_idx').on(t.eventId, t.position, t.id),
    check('sections_kind_check', sql`${t.kind} in ('general', 'seated')`),
    check('sections_price_check', sql`${t.priceCents} >= 0`),
    check(
      'sections_counts_check',
      sql`${t.held} >= 0 and ${t.sold} >= 0 and ${t.held} + ${t.sold} <= ${t.capacity}`,
    ),
    check(
      'sections_seated_shape_check',
      sql`${t.kind} = 'general' or (${t.rows} > 0 and ${t.seatsPerRow} > 0 and ${t.capacity} = ${t.rows} * ${t.seatsPerRow})`,
    ),
  ],
)

/** The seats of a seated section: rows A, B, … (row_index 0, 1, …), numbered 1..seats_per_row. */
export const seats = pgTable(
  'seats',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    sectionId: integer('section_id')
      .notNull()
      .references(() => sections.id, { onDelete: 'cascade' }),
    rowIndex: integer('row_index').notNull(),
    rowLabel: text('row_label').notNull(),
    number: integer('number').notNull(),
  },
  (t) => [uniqueIndex('seats_position_key').on(t.sectionId, t.rowIndex, t.number)],
)

export const reservations = pgTable(
  'reservations',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'restrict' }),
    bookerId: integer('booker_id').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** The voucher this reservation used (one per reservation); a used voucher cannot be deleted. */
    voucherId: integer('voucher_id').references(() => vouchers.id, { onDelete: 'restrict' }),
    ...timestamps,
  },
  (t) => [
    index('reservations_booker_idx').on(t.bookerId),
    index('reservations_expires_idx').on(t.expiresAt),
    index('reservations_voucher_idx').on(t.voucherId),
  ],
)

/** A live ticket is `held` (reserved, unpaid) or `confirmed` (paid); `cancelled` and `expired` gave their place back. */
export const tickets = pgTable(
  'tickets',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    reservationId: integer('reservation_id')
      .notNull()
      .references(() => reservations.id, { onDelete: 'restrict' }),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'restrict' }),
    sectionId: integer('section_id')
      .notNull()
      .references(() => sections.id, { onDelete: 'restrict' }),
    seatId: integer('seat_id').references(() => seats.id, { onDelete: 'restrict' }),
    holderId: integer('holder_id').references(() => users.id, { onDelete: 'set null' }),
    bookerId: integer('booker_id').references(() => users.id, { onDelete: 'set null' }),
    status: text('status', { enum: ['held', 'confirmed', 'cancelled', 'expired'] })
      .notNull()
      .default('held'),
    priceCents: integer('price_cents').notNull(),
    // When the ticket was last handed to a friend: from then on only its holder may give it back.
    transferredAt: timestamp('transferred_at', { withTimezone: true }),
    // Part of the signed check-in code: bumped on transfer and refund, so a code shown before stops working.
    codeVersion: integer('code_version').notNull().default(1),
    // When the ticket was checked in at the door (once), and by whom.
    checkedInAt: timestamp('checked_in_at', { withTimezone: true }),
    checkedInBy: integer('checked_in_by').references(() => users.id, { onDelete: 'set null' }),
    ...timestamps,
  },
  (t) => [
    // One live ticket per seat, whatever the code above does.
    uniqueIndex('tickets_live_seat_key').on(t.seatId).where(sql`${t.status} in ('held', 'confirmed')`),
    index('tickets_event_holder_idx').on(t.eventId, t.holderId, t.status),
    index('tickets_event_booker_idx').on(t.eventId, t.bookerId, t.status),
    index('tickets_section_status_idx').on(t.sectionId, t.status),
    index('tickets_reservation_idx').on(t.reservationId),
    index('tickets_holder_idx').on(t.holderId, t.id),
    index('tickets_booker_idx').on(t.bookerId, t.id),
    index('tickets_event_checked_in_idx')
      .on(t.eventId, t.checkedInAt)
      .where(sql`${t.checkedInAt} is not null`),
    check('tickets_status_check', sql`${t.status} in ('held', 'confirmed', 'cancelled', 'expired')`),
  ],
)

export const invoiceNumberSeq = pgSequence('invoice_number_seq', { startWith: 1 })

export const invoices = pgTable(
  'invoices',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    number: text('number').notNull(),
    reservationId: integer('reservation_id')
      .notNull()
      .references(() => reservations.id, { onDelete: 'restrict' }),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'restrict' }),
    payerId: integer('payer_id').references(() => users.id, { onDelete: 'set null' }),
    // 64-bit: an invoice is up to 100 tickets at up to 100,000,000 minor units each, beyond `integer`.
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    refundedCents: bigint('refunded_cents', { mode: 'number' }).notNull().default(0),
    currency: text('currency').notNull(),
    status: text('status', { enum: ['open', 'paid', 'expired', 'void', 'refunded'] })
      .notNull()
      .default('open'),
    dueAt: timestamp('due_at', { withTimezone: true }).notNull(),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    paymentReference: text('payment_reference'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('invoices_number_key').on(t.number),
    index('invoices_payer_idx').on(t.payerId, t.id),
    index('invoices_reservation_idx').on(t.reservationId),
    index('invoices_event_status_idx').on(t.eventId, t.status),
    index('invoices_open_due_idx').on(t.dueAt).where(sql`${t.status} = 'open'`),
    check('invoices_status_check', sql`${t.status} in ('open', 'paid', 'expired', 'void', 'refunded')`),
    check(
      'invoices_amounts_check',
      sql`${t.amountCents} >= 0 and ${t.refundedCents} between 0 and ${t.amountCents}`,
    ),
  ],
)

export const invoiceLines = pgTable(
  'invoice_lines',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    invoiceId: integer('invoice_id')
      .notNull()
      .references(() => invoices.id, { onDelete: 'cascade' }),
    ticketId: integer('ticket_id')
      .notNull()
      .references(() => tickets.id, { onDelete: 'restrict' }),
    description: text('description').notNull(),
    /** What the line charges: the ticket's price less `discount_cents`. */
    amountCents: integer('amount_cents').notNull(),
    /** What a voucher took off the ticket's price (0 without one): bigint, like the invoices' money. */
    discountCents: bigint('discount_cents', { mode: 'number' }).notNull().default(0),
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
  },
  (t) => [
    uniqueIndex('invoice_lines_ticket_key').on(t.ticketId),
    index('invoice_lines_invoice_idx').on(t.invoiceId),
  ],
)

/** Stored answers of POSTs sent with an Idempotency-Key, per user and key, for 24 hours. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
)
