// The shared Redis connection when REDIS_URL is set (rate-limit counters shared by every instance).
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'

declare module 'fastify' {
  interface FastifyInstance {
    /** Null when REDIS_URL is unset: stores stay in process memory. */
    redis: Redis | null
  }
}

export default fp(
  async (app) => {
    const url = app.config.REDIS_URL
    if (!url) {
      app.decorate('redis', null)
      return
    }
    // Imported only when configured (~10 MiB of code a process without Redis never needs).
    const { Redis } = await import('ioredis')
    const redis = new Redis(url, {
      connectTimeout: 2_000,
      // Fail fast instead of queueing commands while Redis is away; callers decide how to degrade.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    })
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'))
    // A Redis that is down at start must not keep the API down: its users fall back (rate limits count in
    // process) and ioredis keeps reconnecting in the background.
    await redis
      .connect()
      .catch((err: Error) => app.log.warn({ err: err.message }, 'redis unavailable at start'))
    app.decorate('redis', redis)
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect())
    })
  },
  { name: 'redis', dependencies: ['context'] },
)
