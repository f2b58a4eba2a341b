// Reservation requests and representations.
import { type Static, Type } from 'typebox'
import { Id, Timestamp } from '../../lib/schemas.js'
import { Invoice } from '../invoices/invoices.schemas.js'
import { Ticket } from '../tickets/tickets.schemas.js'

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
