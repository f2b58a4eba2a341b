// The database for this app instance: opened (and migrated) on boot, closed on app.close().
import type { PGlite } from '@electric-sql/pglite'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { type Database, openDatabase } from '../db/client.js'
import { runMigrations } from '../db/migrate.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
  }
}

export interface DbPluginOptions {
  config: Config
  /** An open embedded database to use instead of the one in DATA_DIR (tests). */
  pglite?: PGlite
}

export default fp<DbPluginOptions>(
  async (app, { config, pglite }) => {
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      pglite,
      poolMax: config.DATABASE_POOL_MAX,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT,
      onPoolError: (err) => app.log.error({ err }, 'idle database connection failed'),
    })
    app.decorate('database', database)
    app.addHook('onClose', () => database.close())
    if (config.MIGRATE_ON_START) await runMigrations(database)
  },
  { name: 'db' },
)
