// The box office's requests and representations: tickets, invoices and reservations.
import { type Static, Type } from 'typebox'
import { Id, MoneySum, PageQuery, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

// UserPublic's properties without its $id: a route schema may name one $id only once, and a ticket names two people.
const Person = Type.Object(UserPublic.properties, { description: 'A public profile (UserPublic)' })

export const TicketStatus = Type.Union(
  [Type.Literal('held'), Type.Literal('confirmed'), Type.Literal('cancelled'), Type.Literal('expired')],
  { description: 'A held ticket whose reservation has lapsed is reported as `expired`, swept or not' },
)

export const Ticket = Type.Object(
  {
    id: Id,
    status: TicketStatus,
    event: Type.Object({
      id: Id,
      title: Type.String(),
      starts_at: Timestamp,
      timezone: Type.String({ description: "The event's time zone (IANA name), as on the event" }),
    }),
    section: Type.Object({ id: Id, name: Type.String() }),
    seat: Type.Union([Type.Object({ id: Id, row: Type.String(), number: Type.Integer() }), Type.Null()], {
      description: 'null in a general-admission section',
    }),
    holder: Type.Union([Person, Type.Null()], {
      description:
        'Who attends; null once their account is gone (its tickets for events still to come are given back then)',
    }),
    booker: Type.Union([Person, Type.Null()], { description: 'Who made the reservation' }),
    price_cents: Type.Integer(),
    currency: Type.String(),
    reservation_id: Id,
    invoice_id: Type.Union([Id, Type.Null()], { description: 'null once a held ticket was released' }),
    expires_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When a held ticket lapses unless paid',
    }),
    created_at: Timestamp,
    checked_in_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When the ticket was used at the door; a used ticket is neither refunded nor transferred',
    }),
    code: Type.Optional(
      Type.String({
        description:
          'Only for its holder, only while confirmed: the signed check-in code the QR image carries. ' +
          'A transfer or refund makes it worthless.',
      }),
    ),
  },
  { $id: 'Ticket' },
)
export type TicketT = Static<typeof Ticket>

export const TicketListQuery = Type.Object({
  ...PageQuery,
  status: Type.Optional(TicketStatus),
})

export const TransferBody = Type.Object({
  user_id: Id,
})

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
  amount_cents: Type.Integer({ description: 'What the line charges: the price less discount_cents' }),
  discount_cents: Type.Integer({
    description: "What the reservation's voucher took off this line (0 without one)",
  }),
  refunded_at: Type.Union([Timestamp, Type.Null()], { description: 'When this line was refunded' }),
})

export const Invoice = Type.Object(
  {
    id: Id,
    number: Type.String({ description: 'INV-<year>-<6 digits>, unique' }),
    payer: Type.Union([Person, Type.Null()], { description: 'null once the payer deleted their account' }),
    amount_cents: MoneySum('Computed by the server from the section prices'),
    refunded_cents: MoneySum('How much of amount_cents has been refunded (partial refunds)'),
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

export const MAX_TICKETS_PER_RESERVATION = 100

export const ReserveBody = Type.Object({
  section_id: Id,
  quantity: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_TICKETS_PER_RESERVATION,
      description: 'How many tickets; default: the number of seat_ids, else 1 + the number of attendee_ids',
    }),
  ),
  seat_ids: Type.Optional(
    Type.Array(Id, {
      minItems: 1,
      maxItems: MAX_TICKETS_PER_RESERVATION,
      uniqueItems: true,
      description: 'Exact seats of a seated section',
    }),
  ),
  together: Type.Optional(
    Type.Boolean({
      description: 'Seated sections: adjacent seats in one row, front rows first, then central',
    }),
  ),
  attendee_ids: Type.Optional(
    Type.Array(Id, {
      maxItems: MAX_TICKETS_PER_RESERVATION - 1,
      uniqueItems: true,
      description:
        'Friends who hold the other tickets: the caller holds the first, so quantity = 1 + attendees',
    }),
  ),
  split_payment: Type.Optional(
    Type.Boolean({ description: 'One invoice per holder instead of one invoice for the booker' }),
  ),
  voucher_code: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        "A voucher of this event (any case): discounts each ticket's line; one use per reservation",
    }),
  ),
})
export type ReserveInput = Static<typeof ReserveBody>

export const Reservation = Type.Object(
  {
    id: Id,
    event_id: Id,
    expires_at: Timestamp,
    created_at: Timestamp,
    tickets: Type.Array(Ticket),
    invoices: Type.Array(Invoice),
  },
  { $id: 'Reservation' },
)
export type ReservationT = Static<typeof Reservation>
