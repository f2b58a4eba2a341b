// Check-in at the door: each event's signing key for ticket codes, and the people who may scan them.
import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { users } from './accounts.js'
import { events } from './events.js'

/**
 * One Ed25519 key pair per event, made on first use. Ticket codes are signed with the private key, which never
 * leaves the server; door scanners may verify them offline with the public key.
 */
export const eventCheckInKeys = pgTable(
  'event_check_in_keys',
  {
    eventId: integer('event_id')
      .primaryKey()
      .references(() => events.id, { onDelete: 'cascade' }),
    algorithm: text('algorithm').notNull().default('Ed25519'),
    publicKeyPem: text('public_key_pem').notNull(),
    privateKeyPem: text('private_key_pem').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('event_check_in_keys_algorithm_check', sql`${t.algorithm} = 'Ed25519'`)],
)

/** Door staff: users an organizer named who may check tickets in for one event, and nothing more. */
export const eventStaff = pgTable(
  'event_staff',
  {
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.userId] }), index('event_staff_user_idx').on(t.userId)],
)
