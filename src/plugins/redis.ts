// The shared Redis connection when REDIS_URL is set (rate-limit counters shared by every instance).
import fp from 'fastify-plugin'
import { Redis } from 'ioredis'

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
    const redis = new Redis(url, {
      connectTimeout: 2_000,
      // Fail fast instead of queueing commands while Redis is away; callers decide how to degrade.
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
    })
    redis.on('error', (err) => app.log.warn({ err: err.message }, 'redis connection error'))
    await redis.connect()
    app.decorate('redis', redis)
    app.addHook('onClose', async () => {
      await redis.quit().catch(() => redis.disconnect())
    })
  },
  { name: 'redis', dependencies: ['context'] },
)
