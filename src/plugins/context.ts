// Builds the service context (database, configuration, token service, logger, job queue) that routes hand to services.
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Ctx } from '../context.js'
import { markTransactions } from '../lib/guards.js'
import { createTokenService } from '../lib/tokens.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    ctx: Ctx
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    app.decorate('config', config)
    // Test-only: lets guard code that is handed only a transaction see UNSAFE_DISABLE_GUARDS (lib/guards.ts).
    markTransactions(app.database.db, config)
    app.decorate('ctx', {
      db: app.database.db,
      config,
      tokens: createTokenService(config),
      log: app.log,
      jobs: app.jobs,
    })
  },
  { name: 'context', dependencies: ['db', 'jobs'] },
)
