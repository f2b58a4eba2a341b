// Events: the core row the box office (sections, seats, reservations) and the social side (posts) refer to.
import { type SQL, sql } from 'drizzle-orm'
import { check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core'
import { users } from './accounts.js'

export const events = pgTable(
  'events',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    // An organizer's account may go; the event and its sales history stay.
    organizerId: integer('organizer_id').references(() => users.id, { onDelete: 'set null' }),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    venue: text('venue').notNull(),
    // Lowered once, when written: catalogue searches match parts of them (`like '%…%'`) and the title sort
    // orders by it. Lowering every title on every search was most of its matching time (bench/README.md).
    titleLower: text('title_lower')
      .notNull()
      .generatedAlwaysAs((): SQL => sql`lower(${events.title})`),
    venueLower: text('venue_lower')
      .notNull()
      .generatedAlwaysAs((): SQL => sql`lower(${events.venue})`),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    endsAt: timestamp('ends_at', { withTimezone: true }),
    // The IANA name of the zone the event happens in (Europe/Berlin): its times are shown, typed and counted by
    // day there. Its instants are stored as instants (timestamptz) whatever the zone.
    timezone: text('timezone').notNull().default('UTC'),
    status: text('status', { enum: ['draft', 'published', 'cancelled'] })
      .notNull()
      .default('draft'),
    // Set once, when the event is first published. An event cancelled before it was ever published stays as
    // private as a draft: only whoever manages it sees it.
    publishedAt: timestamp('published_at', { withTimezone: true }),
    currency: text('currency').notNull().default('AUD'),
    maxTicketsPerUser: integer('max_tickets_per_user'),
    // The cheapest section's price, kept in step by the section service so `sort=min_price_cents` is indexed.
    minPriceCents: integer('min_price_cents'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('events_organizer_idx').on(t.organizerId),
    index('events_status_starts_at_idx').on(t.status, t.startsAt, t.id),
    index('events_title_trgm_idx').using('gin', sql`${t.titleLower} gin_trgm_ops`),
    // One index per sort of GET /events (within a status), and one per filter that the ones above miss.
    index('events_status_created_at_idx').on(t.status, t.createdAt, t.id),
    index('events_status_title_idx').on(t.status, t.titleLower, t.id),
    index('events_status_min_price_idx').on(t.status, t.minPriceCents, t.id),
    index('events_venue_trgm_idx').using('gin', sql`${t.venueLower} gin_trgm_ops`),
    // A search shorter than a trigram has no trigram to narrow by: a text of two characters is looked up among
    // each title's and venue's pairs of characters (`text_bigrams`, migration 0025), one character is scanned.
    index('events_title_bigram_idx').using('gin', sql`text_bigrams(${t.titleLower})`),
    index('events_venue_bigram_idx').using('gin', sql`text_bigrams(${t.venueLower})`),
    check('events_status_check', sql`${t.status} in ('draft', 'published', 'cancelled')`),
    check('events_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    // Every visibility rule reads published_at: a published event without it would be on sale and invisible.
    check('events_published_at_check', sql`${t.status} <> 'published' or ${t.publishedAt} is not null`),
  ],
)

/**
 * How many events have each status: the exact `total` of an unfiltered GET /events without a `count(*)` over
 * the table. Kept by row-level triggers on events (migration event_counts_triggers), in the same transaction
 * as each insert, delete and change of status.
 */
export const eventCounts = pgTable('event_counts', {
  status: text('status').primaryKey(),
  events: integer('events').notNull().default(0),
})
