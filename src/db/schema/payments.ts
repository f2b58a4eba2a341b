// Money movements through the payment provider: one successful charge per invoice, any number of refunds.
import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core'
import { invoices } from './boxoffice.js'

/** A successful charge or refund. Declined charges change nothing and leave no row. */
export const payments = pgTable(
  'payments',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    invoiceId: integer('invoice_id')
      .notNull()
      .references(() => invoices.id, { onDelete: 'restrict' }),
    kind: text('kind', { enum: ['charge', 'refund'] }).notNull(),
    provider: text('provider').notNull(),
    method: text('method'),
    amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
    currency: text('currency').notNull(),
    reference: text('reference').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('payments_invoice_idx').on(t.invoiceId),
    // The database's own refusal to charge an invoice twice, whatever the code above does.
    uniqueIndex('payments_one_charge_key').on(t.invoiceId).where(sql`${t.kind} = 'charge'`),
    check('payments_kind_check', sql`${t.kind} in ('charge', 'refund')`),
    check('payments_amount_check', sql`${t.amountCents} >= 0`),
  ],
)
