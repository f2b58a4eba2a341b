// Registration, login, token refresh and logout.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Empty, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { LoginBody, LogoutBody, RefreshBody, RegisterBody, TokenPair } from './auth.schemas.js'
import { login, logout, refresh, register, revokeSessions } from './auth.service.js'

export const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/register',
    {
      schema: {
        summary: 'Create an account and sign in',
        description: 'A `role` in the body is ignored: every new account is a user.',
        tags: ['auth'],
        body: RegisterBody,
        response: { 201: TokenPair, 409: ProblemRef },
      },
      preHandler: app.authRateLimit,
    },
    async (req, reply) => reply.code(201).send(await register(app.ctx, req.body, req.headers['user-agent'])),
  )

  app.post(
    '/auth/login',
    {
      schema: {
        summary: 'Sign in with email (or username) and password',
        description:
          'Returns a fresh access token and a refresh token. The session they belong to is listed on the ' +
          "member's settings page by the request's `User-Agent`, where it can be logged out on its own.",
        tags: ['auth'],
        body: LoginBody,
        response: { 200: TokenPair, 401: ProblemRef },
      },
      preHandler: app.authRateLimit,
    },
    async (req) => login(app.ctx, req.body, req.headers['user-agent']),
  )

  app.post(
    '/auth/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for a new pair',
        description:
          'The refresh token is rotated: each one works once. Presenting a used one revokes its whole session. ' +
          'The new access token is not fresh.',
        tags: ['auth'],
        body: RefreshBody,
        response: { 200: TokenPair, 401: ProblemRef },
      },
      preHandler: app.authRateLimit,
    },
    async (req) => refresh(app.ctx, req.body.refresh_token),
  )

  app.post(
    '/auth/logout',
    {
      schema: {
        summary: 'Sign out this session',
        description: 'The access token and its refresh-token family stop working at once.',
        tags: ['auth'],
        body: LogoutBody,
        response: { 204: Empty },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await logout(app.ctx, actorOf(req), req.body?.refresh_token)
      return reply.code(204).send()
    },
  )

  app.post(
    '/auth/logout-all',
    {
      schema: {
        summary: 'Sign out every session of this account',
        tags: ['auth'],
        response: { 204: Empty },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await revokeSessions(app.ctx.db, actorOf(req).id)
      return reply.code(204).send()
    },
  )
}
