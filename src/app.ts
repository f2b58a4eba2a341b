// The application factory: the whole map of Stagedoor, plugins first, then every module with its prefix.
import { hash, randomUUID } from 'node:crypto'
import type { PGlite } from '@electric-sql/pglite'
import cors from '@fastify/cors'
import etag from '@fastify/etag'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import underPressure from '@fastify/under-pressure'
import Fastify, { type FastifyServerOptions } from 'fastify'
import type { Config } from './config.js'
import { logTransport } from './lib/log-format.js'
import { setHashConcurrency } from './lib/passwords.js'
import { accountEmailRoutes } from './modules/auth/account-email.routes.js'
import { authRoutes } from './modules/auth/auth.routes.js'
import { avatarRoutes, mediaRoutes } from './modules/avatars/avatars.routes.js'
import { boxOfficeRoutes } from './modules/box-office/box-office.routes.js'
import { checkInRoutes } from './modules/box-office/checkin.routes.js'
import { extendHoldRoutes } from './modules/box-office/extend-hold.routes.js'
import { voucherRoutes } from './modules/box-office/vouchers.routes.js'
import { waitlistRoutes } from './modules/box-office/waitlist.routes.js'
import eventsCachePlugin from './modules/events/events.cache.js'
import { eventsRoutes } from './modules/events/events.routes.js'
import { salesRoutes } from './modules/events/sales.routes.js'
import { sectionsRoutes } from './modules/events/sections.routes.js'
import { friendsRoutes } from './modules/friends/friends.routes.js'
import { healthRoutes } from './modules/health/health.routes.js'
import { messagesRoutes } from './modules/messages/messages.routes.js'
import { commentsRoutes } from './modules/posts/comments.routes.js'
import { postsRoutes } from './modules/posts/posts.routes.js'
import { searchRoutes } from './modules/search/search.routes.js'
import { usersRoutes } from './modules/users/users.routes.js'
import { webhookRoutes } from './modules/webhooks/webhooks.routes.js'
import authPlugin from './plugins/auth.js'
import conditionalGetPlugin from './plugins/conditional-get.js'
import contextPlugin from './plugins/context.js'
import dbPlugin from './plugins/db.js'
import drainPlugin from './plugins/drain.js'
import errorsPlugin, { clientErrorHandler, sendProblem } from './plugins/errors.js'
import httpHeadersPlugin from './plugins/http-headers.js'
import idempotencyPlugin from './plugins/idempotency.js'
import jobsPlugin from './plugins/jobs.js'
import metricsPlugin from './plugins/metrics.js'
import openapiPlugin from './plugins/openapi.js'
import rateLimitPlugin from './plugins/rate-limit.js'
import redisPlugin from './plugins/redis.js'
import webPlugin from './web/plugin.js'

export interface AppDeps {
  /** An open embedded database (tests load a migrated snapshot); default: DATA_DIR or DATABASE_URL. */
  pglite?: PGlite
  /** Logger override (tests pass false). */
  logger?: FastifyServerOptions['logger']
}

const REQUEST_ID = /^[\w.:-]{1,128}$/

export async function buildApp(config: Config, deps: AppDeps = {}) {
  setHashConcurrency(config.PASSWORD_HASH_CONCURRENCY, config.WEB_CONCURRENCY)
  const app = Fastify({
    logger: deps.logger ?? {
      ...logTransport(config),
      level: config.LOG_LEVEL,
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
        remove: true,
      },
    },
    // A fresh embedded database takes ~10 s to initialise (longer on a busy machine): allow for it.
    pluginTimeout: 120_000,
    bodyLimit: config.BODY_LIMIT,
    requestTimeout: config.REQUEST_TIMEOUT * 1000,
    connectionTimeout: config.REQUEST_TIMEOUT * 1000,
    keepAliveTimeout: 72_000,
    // A hop count trusts that many proxies nearest the server; a list trusts those addresses and ranges.
    trustProxy:
      typeof config.TRUST_PROXY === 'number'
        ? (_address: string, hop: number) => hop < (config.TRUST_PROXY as number)
        : config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id']
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // On SIGTERM a request already on an open connection is served, not answered 503: the shutdown finishes
    // what clients sent before it (test/faults/processes.test.ts), and idle connections are closed.
    return503OnClosing: false,
    // The router's own refusals (a path that is not valid percent-encoded UTF-8, a path parameter over
    // maxParamLength) are problems like any other 400: a bad id is a bad id, whatever its form.
    // Requests Node's HTTP parser refuses before routing (a URL or headers over its limit) are problems too.
    clientErrorHandler,
    frameworkErrors: (err, req, reply) =>
      sendProblem(
        req,
        reply,
        400,
        'VALIDATION_FAILED',
        err.code === 'FST_ERR_BAD_URL' ? 'The path is not valid UTF-8' : 'A path parameter is too long',
      ),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // The requests in flight, counted for the shutdown (awaited by the last onClose hook, below).
  await app.register(drainPlugin, { config })
  // Security headers (helmet's, computed once) and the request id on every response.
  await app.register(httpHeadersPlugin)

  // Ecosystem plugins.
  await app.register(cors, { origin: config.CORS_ORIGINS.length > 0 ? config.CORS_ORIGINS : false })
  // One-shot hashing: a createHash() object per response took twice as long (~3 µs vs ~1.3 µs for a small body).
  // The 304 is conditional-get.ts's: the library's own answered it to writes and errors too.
  await app.register(etag, {
    hashFn: (payload) => hash('sha1', payload, 'base64'),
    replyWith304: false,
  })
  await app.register(conditionalGetPlugin)
  await app.register(underPressure, {
    maxEventLoopDelay: config.MAX_EVENT_LOOP_DELAY,
    retryAfter: 5,
    exposeStatusRoute: false,
  })

  // Our plugins, in dependency order.
  await app.register(errorsPlugin)
  await app.register(dbPlugin, { config, pglite: deps.pglite })
  await app.register(jobsPlugin, { config })
  await app.register(contextPlugin, { config })
  await app.register(redisPlugin)
  await app.register(authPlugin)
  await app.register(rateLimitPlugin)
  await app.register(metricsPlugin)
  await app.register(openapiPlugin)
  await app.register(eventsCachePlugin)
  await app.register(idempotencyPlugin)

  // Modules.
  await app.register(healthRoutes)
  await app.register(mediaRoutes)
  await app.register(
    async (api) => {
      await api.register(authRoutes)
      await api.register(accountEmailRoutes)
      await api.register(usersRoutes)
      await api.register(eventsRoutes)
      await api.register(sectionsRoutes)
      await api.register(salesRoutes)
      await api.register(searchRoutes)
      await api.register(avatarRoutes)
      await api.register(friendsRoutes)
      await api.register(messagesRoutes)
      await api.register(postsRoutes)
      await api.register(commentsRoutes)
      await api.register(boxOfficeRoutes)
      await api.register(extendHoldRoutes)
      await api.register(waitlistRoutes)
      await api.register(voucherRoutes)
      await api.register(checkInRoutes)
      await api.register(webhookRoutes)
    },
    { prefix: '/api/v1' },
  )

  // The web pages at the site root: another adapter over the same services (src/web/).
  await app.register(webPlugin)
  // onClose hooks run last-registered first, right after the server stops listening: this one waits for the
  // handlers still running before the plugins above close the database, Redis and the job queue.
  app.addHook('onClose', () => app.drain.idle())

  return app
}

export type App = Awaited<ReturnType<typeof buildApp>>
