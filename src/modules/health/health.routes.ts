// Liveness and readiness probes for load balancers and orchestrators.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sql } from 'drizzle-orm'
import { Type } from 'typebox'

const Status = Type.Object({
  status: Type.String({ description: 'ok, degraded (Redis down) or unavailable' }),
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
        summary: 'The process can serve traffic: its database answers (Redis down only degrades it)',
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
      // Redis only shares rate-limit counters between instances; without it each process counts on its own.
      // Its outage is reported (degraded) but does not take every instance out of the load balancer.
      if (app.redis) {
        checks.redis = await app.redis.ping().then(
          () => 'ok',
          () => 'degraded',
        )
      }
      if (checks.database !== 'ok') return reply.code(503).send({ status: 'unavailable', checks })
      return reply.send({ status: checks.redis === 'degraded' ? 'degraded' : 'ok', checks })
    },
  )
}
