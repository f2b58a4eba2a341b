// Conversations and private messages between friends.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CursorPage, Empty, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import {
  Conversation,
  ConversationParams,
  Message,
  MessageCursorQuery,
  SendMessageBody,
} from './messages.schemas.js'
import { listConversations, listMessages, markConversationRead, sendMessage } from './messages.service.js'

export const messagesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/conversations',
    {
      schema: {
        summary: 'Your conversations',
        description: 'One row per partner with the last message and your unread count, most recent first.',
        tags: ['messages'],
        querystring: MessageCursorQuery,
        response: { 200: CursorPage(Conversation) },
      },
      onRequest: app.authenticate,
    },
    async (req) => listConversations(app.ctx, actorOf(req), req.query),
  )

  app.get(
    '/conversations/:user_id/messages',
    {
      schema: {
        summary: 'Messages between you and a user',
        description: 'Newest first. Only your own conversation with that user is ever read.',
        tags: ['messages'],
        params: ConversationParams,
        querystring: MessageCursorQuery,
        response: { 200: CursorPage(Message), 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => listMessages(app.ctx, actorOf(req), req.params.user_id, req.query),
  )

  app.post(
    '/conversations/:user_id/messages',
    {
      schema: {
        summary: 'Send a message to a friend',
        description:
          '403 NOT_FRIENDS unless you are friends (you are not your own friend); 404 for an unknown user.',
        tags: ['messages'],
        params: ConversationParams,
        body: SendMessageBody,
        response: { 201: Message, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await sendMessage(app.ctx, actorOf(req), req.params.user_id, req.body.body)),
  )

  app.post(
    '/conversations/:user_id/read',
    {
      schema: {
        summary: 'Mark the conversation with a user as read',
        tags: ['messages'],
        params: ConversationParams,
        response: { 204: Empty, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await markConversationRead(app.ctx, actorOf(req), req.params.user_id)
      return reply.code(204).send()
    },
  )
}
