// Applies the committed SQL migrations in migrations/ (never a schema "sync"), then pg-boss's schema and our queues.
import { fileURLToPath } from 'node:url'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgliteDatabase } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import { installJobQueueSchema } from '../jobs/boss.js'
import type { Database } from './client.js'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK = 4_247_001

/**
 * Brings the database up to date: our migrations, then the job queue's schema and queues. Both belong
 * here: servers starting at once (WEB_CONCURRENCY, several hosts) on a new database would otherwise each
 * create the queues and deadlock in pg-boss's `create_queue`.
 */
export async function runMigrations(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder })
    await installJobQueueSchema(database)
    return
  }
  // Several processes may start at once (WEB_CONCURRENCY, several hosts): one migrates, the others wait.
  const client = await database.pool!.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    await migratePg(database.db as unknown as NodePgDatabase, { migrationsFolder })
    await installJobQueueSchema(database)
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
}
