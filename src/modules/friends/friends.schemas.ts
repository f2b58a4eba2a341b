// Friend requests and the friends list: request and response shapes.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

export const FriendRequestStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('accepted'),
  Type.Literal('declined'),
])

// A copy without UserPublic's $id: one schema may not hold two copies of the same $id.
const Profile = Type.Object(UserPublic.properties, { description: 'Public profile' })

export const FriendRequest = Type.Object(
  {
    id: Id,
    requester: Profile,
    addressee: Profile,
    status: FriendRequestStatus,
    created_at: Timestamp,
    responded_at: Type.Union([Timestamp, Type.Null()], {
      description: 'When the addressee accepted or declined; null while pending',
    }),
  },
  {
    $id: 'FriendRequest',
    description:
      'A friend request. Once accepted it is the friendship itself (one row per pair of users, whoever asked).',
  },
)
export type FriendRequestT = Static<typeof FriendRequest>

export const SendFriendRequestBody = Type.Object({ user_id: Id })

export const FriendRequestListQuery = Type.Object({
  direction: Type.Optional(
    Type.Union([Type.Literal('incoming'), Type.Literal('outgoing')], {
      default: 'incoming',
      description: 'incoming: pending requests others sent you; outgoing: pending requests you sent',
    }),
  ),
  ...PageQuery,
})

export const FriendListQuery = Type.Object({ ...PageQuery })

export const UserIdParams = Type.Object({ user_id: Id })
