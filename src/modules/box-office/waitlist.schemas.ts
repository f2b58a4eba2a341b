// Waiting-list entries as the API shows and takes them.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

/** The most tickets one waiting-list entry asks for (the table's check says the same). */
export const MAX_WAITLIST_QUANTITY = 10

export const WaitlistStatus = Type.Union(
  [
    Type.Literal('waiting'),
    Type.Literal('offered'),
    Type.Literal('converted'),
    Type.Literal('expired'),
    Type.Literal('left'),
  ],
  {
    description:
      'An offer is `converted` once the waiter has paid for their own ticket (a friend paying their own invoice ' +
      'of a split offer converts nothing); an offer past offer_expires_at is reported as `expired`, swept or not',
  },
)

export const WaitlistEntry = Type.Object(
  {
    id: Id,
    user: Type.Union([Type.Object(UserPublic.properties), Type.Null()], {
      description: 'Who waits (a public profile); null once their account is deleted',
    }),
    event_id: Id,
    section_id: Id,
    quantity: Type.Integer({ minimum: 1, maximum: MAX_WAITLIST_QUANTITY }),
    together: Type.Boolean(),
    attendee_ids: Type.Array(Id),
    split_payment: Type.Boolean(),
    position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: 'Place among the entries of the section still waiting (1 = next); null once not waiting',
    }),
    status: WaitlistStatus,
    reservation_id: Type.Union([Id, Type.Null()], { description: 'The reservation held for an offer' }),
    offer_expires_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When an offer lapses unless its invoices are paid',
    }),
    created_at: Timestamp,
  },
  { $id: 'WaitlistEntry' },
)
export type WaitlistEntryT = Static<typeof WaitlistEntry>

export const JoinWaitlistBody = Type.Object({
  section_id: Id,
  quantity: Type.Integer({
    minimum: 1,
    maximum: MAX_WAITLIST_QUANTITY,
    description: 'Tickets wanted: 1 + attendees with attendee_ids',
  }),
  together: Type.Optional(Type.Boolean({ description: 'Seated sections: only adjacent seats in one row' })),
  attendee_ids: Type.Optional(
    Type.Array(Id, {
      maxItems: MAX_WAITLIST_QUANTITY - 1,
      uniqueItems: true,
      description: 'Friends who hold the other tickets, as for a reservation',
    }),
  ),
  split_payment: Type.Optional(
    Type.Boolean({ description: 'The offer issues one invoice per holder, as for a reservation' }),
  ),
})
export type JoinWaitlistInput = Static<typeof JoinWaitlistBody>

export const WaitlistListQuery = Type.Object({ ...PageQuery })
