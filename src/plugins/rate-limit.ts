// Rate limits: a default per client and route, and a tighter one per IP and per account on the auth routes.
import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../lib/errors.js'
import { hashOpaqueToken } from '../lib/tokens.js'

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandlers for login, register, refresh and password flows: per IP and per account. */
    authRateLimit: Guard[]
  }
}

function accountKey(req: FastifyRequest): string {
  const body = (req.body ?? {}) as Record<string, unknown>
  const refresh = typeof body.refresh_token === 'string' ? hashOpaqueToken(body.refresh_token) : undefined
  const account = typeof body.email === 'string' ? body.email.trim().toLowerCase() : refresh
  // No account in the body: fall back to the IP, which the other limit already counts.
  return account ? `account:${account}` : `ip:${req.ip}`
}

export default fp(
  async (app) => {
    const { config } = app
    const enabled = config.RATE_LIMIT_ENABLED
    await app.register(rateLimit, {
      global: enabled,
      max: config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      enableDraftSpec: true,
      errorResponseBuilder: (_req, context) =>
        new AppError('RATE_LIMITED', `Rate limit exceeded, retry in ${context.after}`),
    })
    const auth = (name: string, keyGenerator: (req: FastifyRequest) => string) =>
      app.rateLimit({
        max: config.RATE_LIMIT_AUTH_PER_MINUTE,
        timeWindow: 60_000,
        groupId: name,
        keyGenerator,
      }) as Guard
    app.decorate(
      'authRateLimit',
      enabled ? [auth('auth-ip', (req) => `ip:${req.ip}`), auth('auth-account', accountKey)] : [],
    )
  },
  { name: 'rate-limit', dependencies: ['context'] },
)
