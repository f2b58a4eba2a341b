// Liveness and readiness probes for load balancers and orchestrators.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'drizzle-orm'
import { Type } from 'typebox'

const Status = Type.Object({
  status: Type.String(),
  checks: Type.Optional(Type.Record(Type.String(), Type.String())),
})

export const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health/live',
    { schema: { summary: 'The process is running', tags: ['operations'], response: { 200: Status } } },
    async () => ({ status: 'ok' }),
  )

  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'The process can serve traffic (its database, and Redis when configured, answer)',
        tags: ['operations'],
        response: { 200: Status, 503: Status },
      },
    },
    async (_req, reply) => {
      const checks: Record<string, string> = {}
      try {
        await app.ctx.db.execute(sql`select 1`)
        checks.database = 'ok'
      } catch {
        checks.database = 'unavailable'
      }
      if (app.redis) {
        checks.redis = await app.redis.ping().then(
          () => 'ok',
          () => 'unavailable',
        )
      }
      const ok = Object.values(checks).every((v) => v === 'ok')
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks })
    },
  )
}
