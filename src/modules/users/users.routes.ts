// The user directory, the caller's own profile, and the admin's user management.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import {
  AdminUpdateUserBody,
  ChangePasswordBody,
  UpdateMeBody,
  UserListQuery,
  UserOwn,
  UserPublic,
} from './users.schemas.js'
import {
  changePassword,
  deleteUser,
  getOwnProfile,
  getPublicProfile,
  listUsers,
  setRole,
  updateOwnProfile,
} from './users.service.js'

export const usersRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/users',
    {
      schema: {
        summary: 'List and search users',
        description: '`q` matches any part of the username or display name, case-insensitively.',
        tags: ['users'],
        querystring: UserListQuery,
        response: { 200: Paginated(UserPublic) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listUsers(app.ctx, req.query, page))
    },
  )

  app.get(
    '/users/me',
    {
      schema: { summary: 'Your own profile', tags: ['users'], response: { 200: UserOwn } },
      onRequest: app.authenticate,
    },
    async (req) => getOwnProfile(app.ctx, actorOf(req)),
  )

  app.patch(
    '/users/me',
    {
      schema: {
        summary: 'Update your profile',
        description: 'Changing `email` needs a fresh token and marks the address unverified.',
        tags: ['users'],
        body: UpdateMeBody,
        response: { 200: UserOwn, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updateOwnProfile(app.ctx, actorOf(req), req.body),
  )

  app.put(
    '/users/me/password',
    {
      schema: {
        summary: 'Change your password',
        description: 'Needs a fresh token. Every other session is signed out; this one keeps working.',
        tags: ['users'],
        body: ChangePasswordBody,
        response: { 204: Empty },
      },
      onRequest: app.authenticateFresh,
    },
    async (req, reply) => {
      await changePassword(app.ctx, actorOf(req), req.body)
      return reply.code(204).send()
    },
  )

  app.delete(
    '/users/me',
    {
      schema: {
        summary: 'Delete your account',
        description:
          'Needs a fresh token. Social content is deleted; invoices stay, without your name. Unpaid holds you ' +
          'were to pay lapse at once (`expired`), and their places go back on sale. Events you organize that ' +
          'have not started are cancelled, as POST /events/{id}/cancel does: their buyers are refunded and told. ' +
          'Tickets you hold for events not yet started are given back, as DELETE /tickets/{id} does: a held one ' +
          'is released, a confirmed one refunded to whoever paid for it, and its place goes back on sale. ' +
          'Tickets used at the door or of events already started stay, with `holder: null`. ' +
          'The only admin cannot delete their account (409 LAST_ADMIN): make someone else an admin first.',
        tags: ['users'],
        response: { 204: Empty, 409: ProblemRef },
      },
      onRequest: app.authenticateFresh,
    },
    async (req, reply) => {
      await deleteUser(app.ctx, actorOf(req).id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/users/:id',
    {
      schema: {
        summary: 'A public profile',
        tags: ['users'],
        params: IdParams,
        response: { 200: UserPublic, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getPublicProfile(app.ctx, req.params.id),
  )

  app.patch(
    '/admin/users/:id',
    {
      schema: {
        summary: "Change a user's role",
        description:
          'Demoting the only admin (yourself included) is refused with 409 LAST_ADMIN, so the site always ' +
          'keeps an admin; two admins demoting each other at once cannot both succeed.',
        tags: ['admin'],
        params: IdParams,
        body: AdminUpdateUserBody,
        response: { 200: UserOwn, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticateAdmin,
    },
    async (req) => setRole(app.ctx, req.params.id, req.body.role),
  )

  app.delete(
    '/admin/users/:id',
    {
      schema: {
        summary: 'Delete a user',
        description:
          'As DELETE /users/me: unpaid holds the user was to pay lapse at once, and events they organize that ' +
          'have not started are cancelled, their buyers refunded; tickets they hold for events not yet started ' +
          'are given back (refunded to whoever paid). Deleting the only admin ' +
          '(yourself included) is refused with 409 LAST_ADMIN, so the site always keeps an admin; two admins ' +
          'deleting each other at once cannot both succeed.',
        tags: ['admin'],
        params: IdParams,
        response: { 204: Empty, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticateAdmin,
    },
    async (req, reply) => {
      await deleteUser(app.ctx, req.params.id)
      return reply.code(204).send()
    },
  )
}
