// Prometheus metrics at /metrics: process defaults plus a latency histogram per route and status.

import metricsModule from 'fastify-metrics'
import fp from 'fastify-plugin'
import { Type } from 'typebox'

export default fp(
  async (app) => {
    // The package is CommonJS with an `exports.default`; ESM sees it one level down.
    await app.register(metricsModule.default, {
      // Several apps may live in one process (tests); each starts from a clean registry.
      clearRegisterOnInit: true,
      routeMetrics: { enabled: { histogram: true, summary: false }, registeredRoutesOnly: true },
      endpoint: null,
    })
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['operations'],
          response: { 200: Type.String({ description: 'Prometheus text format' }) },
        },
      },
      async (_req, reply) => {
        const register = app.metrics.client.register
        return reply.type(register.contentType).send(await register.metrics())
      },
    )
  },
  { name: 'metrics' },
)
