// The event as POST /events/{id}/cancel answers it (the shape of API.md's Event).
import { type Static, Type } from 'typebox'
import { Id, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

const Section = Type.Object({
  id: Id,
  name: Type.String(),
  kind: Type.Union([Type.Literal('general'), Type.Literal('seated')]),
  price_cents: Type.Integer(),
  capacity: Type.Integer(),
  sold: Type.Integer(),
  held: Type.Integer(),
  available: Type.Integer(),
  rows: Type.Optional(Type.Integer()),
  seats_per_row: Type.Optional(Type.Integer()),
})

export const CancelledEvent = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.String(),
  venue: Type.String(),
  starts_at: Timestamp,
  ends_at: Type.Union([Timestamp, Type.Null()]),
  status: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('cancelled')]),
  organizer: Type.Union([Type.Object(UserPublic.properties), Type.Null()]),
  max_tickets_per_user: Type.Union([Type.Integer(), Type.Null()]),
  currency: Type.String(),
  sections: Type.Array(Section),
  tickets_sold: Type.Integer(),
  capacity: Type.Integer(),
  min_price_cents: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
})
export type CancelledEventT = Static<typeof CancelledEvent>
