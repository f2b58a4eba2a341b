// The mail sent-log: one row per cause (the job that carries the message), so a redelivered job never
// sends a second e-mail. pg-boss keeps its own tables in the `pgboss` schema and creates them itself.
import { sql } from 'drizzle-orm'
import { check, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core'

export const mailDeliveries = pgTable(
  'mail_deliveries',
  {
    /** What caused the message: the id of the job that carries it. */
    cause: text('cause').primaryKey(),
    kind: text('kind').notNull(),
    /** `sending` while a worker holds the claim, `sent` once the transport accepted it, `skipped` when there was nothing to send. */
    status: text('status', { enum: ['sending', 'sent', 'skipped'] }).notNull(),
    recipient: text('recipient'),
    messageId: text('message_id'),
    /** A `sending` claim older than this belongs to a worker that died; another may take it over. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
  },
  (t) => [
    index('mail_deliveries_finished_idx').on(t.finishedAt),
    check('mail_deliveries_status_check', sql`${t.status} in ('sending', 'sent', 'skipped')`),
  ],
)
