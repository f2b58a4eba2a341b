// Ticket representations and request bodies.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'
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
    event: Type.Object({ id: Id, title: Type.String(), starts_at: Timestamp }),
    section: Type.Object({ id: Id, name: Type.String() }),
    seat: Type.Union([Type.Object({ id: Id, row: Type.String(), number: Type.Integer() }), Type.Null()], {
      description: 'null in a general-admission section',
    }),
    holder: Type.Union([Person, Type.Null()], {
      description: 'Who attends; null once their account is gone',
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
