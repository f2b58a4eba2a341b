// Applies the committed SQL migrations in migrations/ (never a schema "sync").
import { fileURLToPath } from 'node:url'
import type { NodePgDatabase } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgliteDatabase } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import type { Database } from './client.js'

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url))

// Any constant works; it only has to be the same in every process that migrates this database.
const MIGRATION_LOCK = 4_247_001

export async function runMigrations(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder })
    return
  }
  // Several processes may start at once (WEB_CONCURRENCY, several hosts): one migrates, the others wait.
  const client = await database.pool!.connect()
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    await migratePg(database.db as unknown as NodePgDatabase, { migrationsFolder })
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
}
