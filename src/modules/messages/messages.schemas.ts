// Private messages and conversations: request and response shapes.
import { type Static, Type } from 'typebox'
import { CursorQuery, Id, NOT_BLANK, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

export const Message = Type.Object(
  {
    id: Id,
    sender_id: Id,
    recipient_id: Id,
    body: Type.String(),
    created_at: Timestamp,
    read_at: Type.Union([Timestamp, Type.Null()], { description: 'When the recipient marked it read' }),
  },
  { $id: 'Message' },
)
export type MessageT = Static<typeof Message>

export const Conversation = Type.Object(
  {
    user: UserPublic,
    last_message: Message,
    unread_count: Type.Integer({ minimum: 0, description: 'Messages from this user you have not read' }),
  },
  { $id: 'Conversation', description: 'Your conversation with one other user' },
)
export type ConversationT = Static<typeof Conversation>

export const SendMessageBody = Type.Object({
  body: Type.String({
    minLength: 1,
    maxLength: 5000,
    pattern: NOT_BLANK,
    description:
      '1 to 5,000 characters, at least one of them visible: not a space, a line break or a character that shows nothing (a zero-width space, a direction mark …); control characters other than tab and line breaks are refused (else 400 VALIDATION_FAILED)',
  }),
})

export const ConversationParams = Type.Object({ user_id: Id })

export const MessageCursorQuery = Type.Object({ ...CursorQuery })
