// Friends and friend requests: the friends list, unfriending, and the request lifecycle.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { UserPublic } from '../users/users.schemas.js'
import {
  FriendListQuery,
  FriendRequest,
  FriendRequestListQuery,
  SendFriendRequestBody,
  UserIdParams,
} from './friends.schemas.js'
import {
  acceptFriendRequest,
  cancelFriendRequest,
  declineFriendRequest,
  listFriendRequests,
  listFriends,
  sendFriendRequest,
  unfriend,
} from './friends.service.js'

export const friendsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/users/me/friends',
    {
      schema: {
        summary: 'Your friends',
        description: 'Public profiles, ordered by username.',
        tags: ['friends'],
        querystring: FriendListQuery,
        response: { 200: Paginated(UserPublic) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      sendPage(req, reply, await listFriends(app.ctx, actorOf(req), pageParams(req.query))),
  )

  app.delete(
    '/users/me/friends/:user_id',
    {
      schema: {
        summary: 'Unfriend a user',
        tags: ['friends'],
        params: UserIdParams,
        response: { 204: Empty, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await unfriend(app.ctx, actorOf(req), req.params.user_id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/users/me/friend-requests',
    {
      schema: {
        summary: 'Send a friend request',
        description:
          'When that user is asking you (a pending request), this accepts their request: 201 with ' +
          '`status: "accepted"`. A declined request, whoever declined it, is over: asking is then a new pending ' +
          'request (a new id) for the other user to answer. 400 for yourself, 404 for an unknown user.',
        tags: ['friends'],
        body: SendFriendRequestBody,
        response: { 201: FriendRequest, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await sendFriendRequest(app.ctx, actorOf(req), req.body.user_id)),
  )

  app.get(
    '/users/me/friend-requests',
    {
      schema: {
        summary: 'Pending friend requests, incoming (default) or outgoing',
        description: 'Newest first. Declined requests are not listed.',
        tags: ['friends'],
        querystring: FriendRequestListQuery,
        response: { 200: Paginated(FriendRequest) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const direction = req.query.direction ?? 'incoming'
      const page = await listFriendRequests(app.ctx, actorOf(req), direction, pageParams(req.query))
      return sendPage(req, reply, page)
    },
  )

  app.post(
    '/friend-requests/:id/accept',
    {
      schema: {
        summary: 'Accept a friend request (addressee only)',
        description:
          '409 REQUEST_NOT_PENDING when the request was answered already (accepted, or declined: then ask them instead). 403 for the requester.',
        tags: ['friends'],
        params: IdParams,
        response: { 200: FriendRequest, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => acceptFriendRequest(app.ctx, actorOf(req), req.params.id),
  )

  app.post(
    '/friend-requests/:id/decline',
    {
      schema: {
        summary: 'Decline a friend request (addressee only)',
        description:
          '409 REQUEST_NOT_PENDING when the request was answered already (declined or accepted). 403 for the requester.',
        tags: ['friends'],
        params: IdParams,
        response: { 200: FriendRequest, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => declineFriendRequest(app.ctx, actorOf(req), req.params.id),
  )

  app.delete(
    '/friend-requests/:id',
    {
      schema: {
        summary: 'Cancel a friend request you sent (requester only)',
        description: '409 ALREADY_FRIENDS once accepted (unfriend instead); 403 for the addressee.',
        tags: ['friends'],
        params: IdParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await cancelFriendRequest(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )
}
