// Vouchers: discount codes an organizer gives out for an event, counted per reservation that uses them.
import { sql } from 'drizzle-orm'
import { boolean, check, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { events } from './events.js'

/**
 * A code takes `value` percent, or `value` minor units, off each eligible ticket's line. `section_ids` null
 * means every section. `uses` counts the reservations that carry it and are live or were paid (one that lapses
 * or is released unpaid gives its use back), never more than `max_uses` (the CHECK is a backstop behind the
 * conditional update that counts a use).
 */
export const vouchers = pgTable(
  'vouchers',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    eventId: integer('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    kind: text('kind', { enum: ['percent', 'amount'] }).notNull(),
    value: integer('value').notNull(),
    sectionIds: integer('section_ids').array(),
    maxUses: integer('max_uses'),
    uses: integer('uses').notNull().default(0),
    validFrom: timestamp('valid_from', { withTimezone: true }),
    validUntil: timestamp('valid_until', { withTimezone: true }),
    active: boolean('active').notNull().default(true),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Codes are unique per event whatever their case.
    uniqueIndex('vouchers_event_code_key').on(t.eventId, sql`lower(${t.code})`),
    check('vouchers_kind_check', sql`${t.kind} in ('percent', 'amount')`),
    check('vouchers_value_check', sql`${t.value} > 0 and (${t.kind} = 'amount' or ${t.value} <= 100)`),
    check('vouchers_uses_check', sql`${t.uses} >= 0 and (${t.maxUses} is null or ${t.uses} <= ${t.maxUses})`),
  ],
)
