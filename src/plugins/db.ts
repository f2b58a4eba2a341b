// The database for this app instance: opened (and migrated) on boot, closed on app.close(). With
// DATABASE_READ_URL, anonymous catalogue and search reads go to a streaming replica (`app.readCtx`), except a
// client's reads for DATABASE_READ_STICKY seconds after its own write, which stay on the primary: each write
// that may change the catalogue sets a short-lived cookie that marks the client (read-your-writes). A client
// with a token reads on the primary always.
import type { PGlite } from '@electric-sql/pglite'
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import type { Ctx } from '../context.js'
import { type Database, openDatabase } from '../db/client.js'

declare module 'fastify' {
  interface FastifyInstance {
    database: Database
    /** The context for a catalogue or search read: the replica's for an anonymous client not just after its write. */
    readCtx: (req: FastifyRequest) => Ctx
  }
}

export interface DbPluginOptions {
  config: Config
  /** An open embedded database to use instead of the one in DATA_DIR (tests). */
  pglite?: PGlite
}

/** The cookie that keeps a client's reads on the primary after its own write; its value does not matter. */
export const RECENT_WRITE_COOKIE = 'stagedoor_rw'
const RECENT_WRITE = new RegExp(`(?:^|;\\s*)${RECENT_WRITE_COOKIE}=`)

/** Whether the client wrote within the replication window (then it reads what it wrote: primary, no cache). */
export function readsOwnWrites(req: FastifyRequest): boolean {
  const cookie = req.headers.cookie
  return cookie !== undefined && RECENT_WRITE.test(cookie)
}

/** Marks the client as a recent writer for `seconds`, when a replica serves reads. */
export function markRecentWrite(req: FastifyRequest, reply: FastifyReply): void {
  const { config } = req.server
  if (!config.DATABASE_READ_URL) return
  const secure = config.NODE_ENV === 'production' ? '; Secure' : ''
  reply.header(
    'set-cookie',
    `${RECENT_WRITE_COOKIE}=1; Max-Age=${config.DATABASE_READ_STICKY}; Path=/; HttpOnly; SameSite=Lax${secure}`,
  )
}

export default fp<DbPluginOptions>(
  async (app, { config, pglite }) => {
    const database = await openDatabase({
      databaseUrl: config.DATABASE_URL,
      readUrl: config.DATABASE_READ_URL,
      dataDir: config.DATA_DIR,
      pglite,
      poolMax: config.DATABASE_POOL_MAX,
      poolMin: config.DATABASE_POOL_MIN,
      statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT,
      queryTimeoutMs: config.DATABASE_QUERY_TIMEOUT,
      onPoolError: (err) => app.log.error({ err }, 'idle database connection failed'),
      closeTimeoutMs: Math.max(1000, (config.SHUTDOWN_TIMEOUT * 1000) / 2),
      onCloseTimeout: (pool) =>
        app.log.error({ pool }, 'database connections still in use at shutdown: closing without them'),
    })
    app.decorate('database', database)
    app.addHook('onClose', () => database.close())
    let replicaCtx: Ctx | undefined
    app.decorate('readCtx', (req: FastifyRequest): Ctx => {
      if (!database.read || req.actor || readsOwnWrites(req)) return app.ctx
      replicaCtx ??= { ...app.ctx, db: database.read.db }
      return replicaCtx
    })
    // Imported only when migrating: a server process of a fleet (its primary migrated) never loads it.
    if (config.MIGRATE_ON_START) await (await import('../db/migrate.js')).runMigrations(database)
  },
  { name: 'db' },
)
