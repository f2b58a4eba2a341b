// Invoice representations and request bodies.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

// UserPublic's properties without its $id: a route schema may name one $id only once, and a ticket names two people.
const Person = Type.Object(UserPublic.properties, { description: 'A public profile (UserPublic)' })

export const InvoiceStatus = Type.Union(
  [
    Type.Literal('open'),
    Type.Literal('paid'),
    Type.Literal('expired'),
    Type.Literal('void'),
    Type.Literal('refunded'),
  ],
  { description: 'An open invoice past `due_at` is reported as `expired`, swept or not' },
)

export const InvoiceLine = Type.Object({
  ticket_id: Id,
  description: Type.String(),
  amount_cents: Type.Integer(),
  refunded_at: Type.Union([Timestamp, Type.Null()], { description: 'When this line was refunded' }),
})

export const Invoice = Type.Object(
  {
    id: Id,
    number: Type.String({ description: 'INV-<year>-<6 digits>, unique' }),
    payer: Type.Union([Person, Type.Null()], { description: 'null once the payer deleted their account' }),
    amount_cents: Type.Integer({ description: 'Computed by the server from the section prices' }),
    refunded_cents: Type.Integer({
      description: 'How much of amount_cents has been refunded (partial refunds)',
    }),
    currency: Type.String(),
    status: InvoiceStatus,
    due_at: Timestamp,
    paid_at: Type.Union([Timestamp, Type.Null()]),
    reservation_id: Id,
    event_id: Id,
    created_at: Timestamp,
    lines: Type.Array(InvoiceLine),
  },
  { $id: 'Invoice' },
)
export type InvoiceT = Static<typeof Invoice>

export const InvoiceListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(InvoiceStatus),
})

/** The pay body for a provider: `payment_method` must be one of the methods it takes (else 400). */
export const payBody = (methods: readonly string[]) =>
  Type.Object({
    payment_method: Type.Enum([...methods], {
      description:
        'A method the payment provider takes; the built-in test provider: "test_ok" succeeds, "test_declined" is declined',
    }),
  })
