// Check-in's requests and representations: a scanned code, a check-in, the door's count, the event's public
// key, and the event's staff.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

const Person = Type.Object(UserPublic.properties, { description: 'A public profile (UserPublic)' })

export const CheckInBody = Type.Object({
  code: Type.String({
    minLength: 1,
    maxLength: 1000,
    description: "The ticket's signed code, as its QR image carries it",
  }),
})

export const CheckIn = Type.Object(
  {
    ticket_id: Id,
    holder: Type.Union([Person, Type.Null()], {
      description: 'Who attends; null once their account is gone',
    }),
    section: Type.Object({ id: Id, name: Type.String() }),
    seat: Type.Union([Type.Object({ id: Id, row: Type.String(), number: Type.Integer() }), Type.Null()], {
      description: 'null in a general-admission section',
    }),
    checked_in_at: Timestamp,
  },
  { $id: 'CheckIn' },
)
export type CheckInT = Static<typeof CheckIn>

export const CheckInListQuery = Type.Object({ ...PageQuery })

export const CheckInList = Type.Object({
  checked_in: Type.Integer({ description: 'Tickets of the event checked in so far' }),
  confirmed: Type.Integer({ description: 'Confirmed tickets of the event (checked in or not)' }),
  data: Type.Array(CheckIn, { description: 'Check-ins, latest first' }),
  page: Type.Integer(),
  per_page: Type.Integer(),
  total: Type.Integer(),
  total_pages: Type.Integer(),
})
export type CheckInListT = Static<typeof CheckInList>

export const CheckInKey = Type.Object({
  event_id: Id,
  algorithm: Type.Literal('Ed25519'),
  public_key_pem: Type.String({ description: 'SubjectPublicKeyInfo, PEM' }),
  public_key_jwk: Type.Object(
    { kty: Type.String(), crv: Type.String(), x: Type.String() },
    { description: 'The same key as a JWK (RFC 8037)' },
  ),
  code_format: Type.String({
    description:
      'How a code is made: base64url(JSON {t: ticket id, e: event id, v: version}) "." base64url(signature ' +
      'of the first part, as ASCII)',
  }),
})
export type CheckInKeyT = Static<typeof CheckInKey>

export const StaffBody = Type.Object({ user_id: Id })

export const StaffParams = Type.Object({ id: Id, user_id: Id })

export const StaffMember = Type.Object({ user: Person, added_at: Timestamp }, { $id: 'StaffMember' })
export type StaffMemberT = Static<typeof StaffMember>
