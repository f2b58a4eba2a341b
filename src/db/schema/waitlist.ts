// The waiting list of a section: people who want tickets that are not there now, served in order as places
// come back.
import { sql } from 'drizzle-orm'
import { boolean, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { users } from './accounts.js'
import { reservations, sections } from './boxoffice.js'
import { events } from './events.js'

/**
 * One request to be served: `quantity` tickets (the user's and one per attendee), adjacent when `together`.
 * `waiting` until served; then `offered` with the held reservation made for it, `converted` once paid,
 * `expired` when the offer lapsed unpaid, `left` when its owner gave up. The order is the id's.
 */
export const waitlistEntries = pgTable(
  'waitlist_entries',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    sectionId: integer('section_id')
      .notNull()
      .references(() => sections.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    quantity: integer('quantity').notNull(),
    together: boolean('together').notNull().default(false),
    attendeeIds: integer('attendee_ids').array().notNull().default(sql`'{}'`),
    splitPayment: boolean('split_payment').notNull().default(false),
    status: text('status', { enum: ['waiting', 'offered', 'converted', 'expired', 'left'] })
      .notNull()
      .default('waiting'),
    reservationId: integer('reservation_id').references(() => reservations.id, { onDelete: 'set null' }),
    offerExpiresAt: timestamp('offer_expires_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One live entry per user and section.
    uniqueIndex('waitlist_live_key')
      .on(t.sectionId, t.userId)
      .where(sql`${t.status} in ('waiting', 'offered')`),
    index('waitlist_section_waiting_idx').on(t.sectionId, t.id).where(sql`${t.status} = 'waiting'`),
    index('waitlist_event_idx').on(t.eventId, t.id),
    index('waitlist_user_idx').on(t.userId, t.id),
    index('waitlist_reservation_idx').on(t.reservationId),
    check('waitlist_quantity_check', sql`${t.quantity} between 1 and 10`),
    check(
      'waitlist_status_check',
      sql`${t.status} in ('waiting', 'offered', 'converted', 'expired', 'left')`,
    ),
  ],
)
