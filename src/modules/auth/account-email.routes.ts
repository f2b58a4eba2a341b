// Forgotten password, password reset and address verification: the account flows that go through e-mail.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { Empty, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { Email, Password } from '../users/users.schemas.js'
import {
  requestPasswordReset,
  resendVerification,
  resetPassword,
  verifyEmail,
} from './account-email.service.js'

const MailedToken = Type.String({
  minLength: 1,
  maxLength: 512,
  description: 'The token from the e-mailed link',
})

export const accountEmailRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/auth/password/forgot',
    {
      schema: {
        summary: 'E-mail a password reset link',
        description:
          'Always 202, whether or not the address has an account. The link is valid once, for 30 minutes.',
        tags: ['auth'],
        body: Type.Object({ email: Email }),
        response: { 202: Empty, 429: ProblemRef },
      },
      preHandler: app.authRateLimit,
    },
    async (req, reply) => {
      await requestPasswordReset(app.ctx, req.body)
      return reply.code(202).send()
    },
  )

  app.post(
    '/auth/password/reset',
    {
      schema: {
        summary: 'Choose a new password with a mailed reset token',
        description: 'Signs out every session. 400 TOKEN_INVALID when the token is used, expired or forged.',
        tags: ['auth'],
        body: Type.Object({ token: MailedToken, password: Password }),
        response: { 204: Empty, 400: ProblemRef, 429: ProblemRef },
      },
      preHandler: app.authRateLimit,
    },
    async (req, reply) => {
      await resetPassword(app.ctx, req.body)
      return reply.code(204).send()
    },
  )

  app.post(
    '/auth/email/verify',
    {
      schema: {
        summary: 'Confirm your e-mail address with a mailed token',
        description:
          '400 TOKEN_INVALID when the token is used, expired, forged or for an address you no longer have.',
        tags: ['auth'],
        body: Type.Object({ token: MailedToken }),
        response: { 204: Empty, 400: ProblemRef, 429: ProblemRef },
      },
      preHandler: app.authRateLimit,
    },
    async (req, reply) => {
      await verifyEmail(app.ctx, req.body)
      return reply.code(204).send()
    },
  )

  app.post(
    '/auth/email/verify/resend',
    {
      schema: {
        summary: 'Mail a new link to confirm your e-mail address',
        description:
          '202: a new link is on its way to your address; earlier links keep working until they expire. ' +
          '409 EMAIL_ALREADY_VERIFIED when the address is confirmed. One link per minute (EMAIL_VERIFY_COOLDOWN): ' +
          'asking again sooner is 429 RATE_LIMITED, with the seconds to wait in Retry-After.',
        tags: ['auth'],
        response: { 202: Empty, 409: ProblemRef, 429: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await resendVerification(app.ctx, actorOf(req).id)
      return reply.code(202).send()
    },
  )
}
