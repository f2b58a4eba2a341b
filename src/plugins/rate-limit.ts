// Rate limits: a general one per client and route, checked before anything else (authentication included),
// and a tighter one per IP and per account on the auth routes. Counters live in @fastify/rate-limit's store.
import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../lib/errors.js'
import { hashOpaqueToken } from '../lib/tokens.js'

type Guard = (req: FastifyRequest, reply: FastifyReply) => Promise<void>
// isAllowed is true only for allow-listed keys; isExceeded is the verdict.
type Limiter = (req: FastifyRequest) => Promise<{
  isAllowed: boolean
  isExceeded?: boolean
  max?: number
  remaining?: number
  ttlInSeconds?: number
}>

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandlers for login, register, refresh and password flows: per IP and per account. */
    authRateLimit: Guard[]
  }
}

function accountKey(req: FastifyRequest): string | undefined {
  const body = (req.body ?? {}) as Record<string, unknown>
  if (typeof body.email === 'string') return body.email.trim().toLowerCase()
  if (typeof body.refresh_token === 'string') return hashOpaqueToken(body.refresh_token)
  return undefined
}

/** Applies one limiter: IETF draft RateLimit-* headers always, 429 with Retry-After when exhausted. */
async function enforce(limiter: Limiter, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const r = await limiter(req)
  if (r.isAllowed) return
  const reset = r.ttlInSeconds ?? 60
  reply.header('ratelimit-limit', r.max)
  reply.header('ratelimit-remaining', r.remaining ?? 0)
  reply.header('ratelimit-reset', reset)
  if (r.isExceeded) {
    reply.header('retry-after', reset)
    throw new AppError('RATE_LIMITED', `Rate limit exceeded, retry in ${reset} seconds`)
  }
}

export default fp(
  async (app) => {
    const { config } = app
    await app.register(rateLimit, {
      global: false,
      timeWindow: 60_000,
      // With Redis every instance shares the counters; if Redis is down, requests pass rather than fail.
      ...(app.redis ? { redis: app.redis, skipOnError: true, nameSpace: 'stagedoor-rl:' } : {}),
    })
    if (!config.RATE_LIMIT_ENABLED) {
      app.decorate('authRateLimit', [])
      return
    }
    const create = (max: number, key: (req: FastifyRequest) => string) =>
      app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: key }) as unknown as Limiter

    const general = create(config.RATE_LIMIT_PER_MINUTE, (req) => `general:${req.ip}:${req.routeOptions.url}`)
    // An app-level hook runs before every route's own hooks, so a flood is refused before authentication.
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url?.startsWith('/api/')) await enforce(general, req, reply)
    })

    const perIp = create(config.RATE_LIMIT_AUTH_PER_MINUTE, (req) => `auth-ip:${req.ip}`)
    const perAccount = create(config.RATE_LIMIT_AUTH_PER_MINUTE, (req) => `auth-account:${accountKey(req)}`)
    app.decorate('authRateLimit', [
      async (req: FastifyRequest, reply: FastifyReply) => {
        await enforce(perIp, req, reply)
        if (accountKey(req) !== undefined) await enforce(perAccount, req, reply)
      },
    ])
  },
  { name: 'rate-limit', dependencies: ['context', 'redis'] },
)
