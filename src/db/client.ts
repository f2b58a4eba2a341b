// Opens the database: embedded PGlite in DATA_DIR by default, PostgreSQL over `pg` when DATABASE_URL is set.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import type { Logger, SQL } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite'
import pg from 'pg'
import * as schema from './schema/index.js'

export type Schema = typeof schema
/** The drizzle handle services receive; a transaction (`tx`) has the same type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>

export interface Database {
  db: Db
  kind: 'pglite' | 'postgres'
  /** The PGlite instance in embedded mode (one connection; the job queue talks to it directly). */
  pglite?: PGlite
  /** The connection pool in PostgreSQL mode. */
  pool?: pg.Pool
  /** How many statements this handle has sent; tests use it to catch a query per row. */
  queryCount(): number
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string
  dataDir?: string
  /** An already open PGlite (tests load a migrated snapshot into memory). */
  pglite?: PGlite
  poolMax?: number
  statementTimeoutMs?: number
  onPoolError?: (err: Error) => void
}

export const pgliteExtensions = { pg_trgm }

/** Opens an embedded database in `dir` (created when missing), or in memory when `dir` is undefined. */
export async function openPglite(dir?: string, loadDataDir?: Blob): Promise<PGlite> {
  if (dir) mkdirSync(dir, { recursive: true })
  return PGlite.create({
    dataDir: dir,
    extensions: pgliteExtensions,
    ...(loadDataDir ? { loadDataDir } : {}),
  })
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  let count = 0
  const logger: Logger = {
    logQuery: () => {
      count++
    },
  }
  const casing = 'snake_case' as const

  if (opts.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: opts.databaseUrl,
      max: opts.poolMax ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: opts.statementTimeoutMs ?? 15_000,
      idle_in_transaction_session_timeout: 60_000,
      application_name: 'stagedoor',
    })
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', (err) => opts.onPoolError?.(err))
    const db = drizzlePg(pool, { schema, logger, casing }) as unknown as Db
    return { db, kind: 'postgres', pool, queryCount: () => count, close: () => pool.end() }
  }

  const owned = !opts.pglite
  const client = opts.pglite ?? (await openPglite(join(opts.dataDir ?? './data', 'db')))
  const db = drizzlePglite(client, { schema, logger, casing }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    pglite: client,
    queryCount: () => count,
    close: async () => {
      if (owned && !client.closed) await client.close()
    },
  }
}

const statements = new WeakMap<Db, Map<string, unknown>>()

/**
 * A hot statement built once per database handle and named `name`: drizzle's query building (a large share of
 * a simple read's CPU) runs once instead of per call, and PostgreSQL parses and plans it once per connection
 * (a named prepared statement; it still switches to custom plans when the generic one looks worse). Values go
 * in through `sql.placeholder(...)`. Call it with the pool handle (`ctx.db`), not a transaction: a
 * transaction handle would cache for that one transaction only. Each `name` must always build the same text.
 */
export function preparedOnce<T>(db: Db, name: string, build: (db: Db, name: string) => T): T {
  let byName = statements.get(db)
  if (!byName) {
    byName = new Map()
    statements.set(db, byName)
  }
  let statement = byName.get(name) as T | undefined
  if (statement === undefined) {
    statement = build(db, name)
    byName.set(name, statement)
  }
  return statement
}

/** Runs raw SQL and returns its rows, typed by the caller (pg and PGlite both answer `{ rows }`). */
export async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] }
  return result.rows
}

/** A statement whose text never changes, run as a named prepared statement (see `runStatement`). */
export interface Statement {
  /** Unique per text: PostgreSQL keeps the parsed, planned statement under this name per connection. */
  name: string
  /** SQL with positional parameters `$1 … $n`. */
  text: string
}

/**
 * Runs `statement` on `db` — the pool or a transaction's own connection — as a named prepared statement,
 * and returns its rows. For the few hot statements that are written as SQL (a data-modifying CTE, pg-boss's
 * job insert), where `preparedOnce` cannot help: that one binds a query to the pool handle, this one works
 * inside a transaction too. PGlite runs the text as it is.
 */
export async function runStatement<T>(db: Db, statement: Statement, values: unknown[]): Promise<T[]> {
  const prepared = db._.session.prepareQuery(
    { sql: statement.text, params: values },
    undefined,
    statement.name,
    false,
  )
  const result = (await prepared.execute()) as { rows: T[] }
  return result.rows
}
