// Rate limits: a general one per client and route, checked before anything else (authentication included),
// and a tighter one per IP and per account on the auth routes. Counters live in @fastify/rate-limit's store.

import { isIPv4, isIPv6 } from 'node:net'
import rateLimit from '@fastify/rate-limit'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError } from '../lib/errors.js'
import { hashOpaqueToken } from '../lib/tokens.js'
import { isReadRetry } from './errors.js'
import { fallbackStore } from './rate-limit-store.js'

type RouteRateLimit =
  | false
  | { max: number; timeWindow: number; keyGenerator: (req: FastifyRequest) => string }
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
    /** Route `config.rateLimit` for routes that create lasting rows (events, sections): per client. */
    creationRateLimit: RouteRateLimit
  }
}

/**
 * The client a limit counts: its IPv4 address, or the /64 network of an IPv6 one (a single host commonly
 * holds a whole /64 and could otherwise take a fresh address, and a fresh bucket, for every request).
 */
export function clientKey(ip: string): string {
  if (isIPv4(ip)) return ip
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped) return mapped[1]!
  if (!isIPv6(ip)) return ip
  const [head = '', tail = ''] = ip.split('%')[0]!.split('::')
  const left = head ? head.split(':') : []
  const right = ip.includes('::') ? (tail ? tail.split(':') : []) : []
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`
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
    // With Redis every instance shares the counters; while Redis is down each process counts on its own, so
    // no limit ever fails open. The outage is logged once a minute, not per request.
    let warnedAt = 0
    const store = fallbackStore(app.redis, 'stagedoor-rl:', (err) => {
      if (Date.now() - warnedAt < 60_000) return
      warnedAt = Date.now()
      app.log.warn({ reason: err.message }, 'rate limits count in this process while redis is unavailable')
    })
    await app.register(rateLimit, { global: false, timeWindow: 60_000, store, enableDraftSpec: true })
    if (!config.RATE_LIMIT_ENABLED) {
      app.decorate('authRateLimit', [])
      app.decorate('creationRateLimit', false)
      return
    }
    app.decorate('creationRateLimit', {
      max: config.RATE_LIMIT_CREATE_PER_MINUTE,
      timeWindow: 60_000,
      keyGenerator: (req: FastifyRequest) => `create:${clientKey(req.ip)}`,
    })
    const create = (max: number, key: (req: FastifyRequest) => string) =>
      app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: key }) as unknown as Limiter

    const general = create(
      config.RATE_LIMIT_PER_MINUTE,
      (req) => `general:${clientKey(req.ip)}:${req.routeOptions.url}`,
    )
    // An app-level hook runs before every route's own hooks, so a flood is refused before authentication. The
    // server's own second try of a read that lost its database connection is not the client's to pay for.
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url?.startsWith('/api/') && !isReadRetry(req)) await enforce(general, req, reply)
    })

    const perIp = create(config.RATE_LIMIT_AUTH_PER_MINUTE, (req) => `auth-ip:${clientKey(req.ip)}`)
    // Per account and client together: guessing one account's password from one client is limited, and
    // nobody can lock the account's owner out by failing logins from elsewhere.
    const perAccount = create(
      config.RATE_LIMIT_AUTH_PER_MINUTE,
      (req) => `auth-account:${accountKey(req)}:${clientKey(req.ip)}`,
    )
    app.decorate('authRateLimit', [
      async (req: FastifyRequest, reply: FastifyReply) => {
        await enforce(perIp, req, reply)
        if (accountKey(req) !== undefined) await enforce(perAccount, req, reply)
      },
    ])
  },
  { name: 'rate-limit', dependencies: ['context', 'redis'] },
)
