// Opens the database: embedded PGlite in DATA_DIR by default, PostgreSQL over `pg` when DATABASE_URL is set.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { PGlite } from '@electric-sql/pglite'
import { type AnyColumn, type Logger, type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import type { PgDatabase, PgQueryResultHKT, PgSelect } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { lockDataDir } from './data-dir-lock.js'
import { type QueryWatchdog, queryWatchdog } from './query-watchdog.js'
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
  /** A streaming replica for anonymous catalogue and search reads (DATABASE_READ_URL); read-only. */
  read?: { db: Db; pool: pg.Pool }
  /** How many statements this handle has sent; tests use it to catch a query per row. */
  queryCount(): number
  /**
   * Closes the pool's idle connections (PostgreSQL): after one connection was found lost, those opened beside
   * it are suspect too (a restart, a failover, a dropped route), and a retry must get a fresh one.
   */
  discardIdleConnections(): Promise<void>
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string
  /** A read-only replica of `databaseUrl` (PostgreSQL only). */
  readUrl?: string
  dataDir?: string
  /** An already open PGlite (tests load a migrated snapshot into memory). */
  pglite?: PGlite
  poolMax?: number
  /**
   * Connections a pool keeps once it has opened them, however long they sit idle (default 0); the others close
   * after `idleTimeoutMs` idle (default 30 s). A connection closed in a lull is paid for again by the next burst:
   * a new backend, and each statement's first parse and plan on it.
   */
  poolMin?: number
  idleTimeoutMs?: number
  statementTimeoutMs?: number
  /** Client-side bound on one query (0 = none): query-watchdog.ts. */
  queryTimeoutMs?: number
  onPoolError?: (err: Error) => void
  /**
   * How long `close()` waits for the pool's connections to end (PostgreSQL). A connection still checked out
   * then (a statement stuck on a link that went silent) must not hold the process's shutdown forever: close
   * gives up on it, reports the pool's state here, and lets the process exit close the socket.
   */
  closeTimeoutMs?: number
  onCloseTimeout?: (state: { total: number; idle: number; waiting: number }) => void
}

/**
 * Opens an embedded database in `dir` (created when missing), or in memory when `dir` is undefined. PGlite
 * is imported here, on first use: a process on PostgreSQL never loads it.
 */
export async function openPglite(dir?: string, loadDataDir?: Blob): Promise<PGlite> {
  if (dir) mkdirSync(dir, { recursive: true })
  const [{ PGlite }, { pg_trgm }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
  ])
  return PGlite.create({
    dataDir: dir,
    extensions: { pg_trgm },
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
    const watchdogs: QueryWatchdog[] = []
    const open = (connectionString: string) => {
      const watchdog = opts.queryTimeoutMs ? queryWatchdog(opts.queryTimeoutMs) : undefined
      if (watchdog) watchdogs.push(watchdog)
      const pool = new pg.Pool({
        connectionString,
        max: opts.poolMax ?? 10,
        min: opts.poolMin ?? 0,
        connectionTimeoutMillis: 5_000,
        idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
        statement_timeout: opts.statementTimeoutMs ?? 15_000,
        // The query timeout, without node-postgres's timer per query (query-watchdog.ts).
        ...(watchdog ? { Client: watchdog.Client } : {}),
        // TCP keepalives find a connection that a firewall or a failed host dropped without a reset.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
        idle_in_transaction_session_timeout: 60_000,
        application_name: 'stagedoor',
      })
      // An idle client losing its connection must not crash the process; the pool replaces it.
      pool.on('error', (err) => opts.onPoolError?.(err))
      // A checked-out client (inside a transaction, between its statements) that loses its connection emits
      // 'error' with no pool listener attached: unhandled, that would end the process. The statement in flight
      // fails on its own and the pool discards the client when it is released.
      pool.on('connect', (client) => client.on('error', () => {}))
      return { pool, db: drizzlePg(pool, { schema, logger, casing }) as unknown as Db }
    }
    const { pool, db } = open(opts.databaseUrl)
    const read = opts.readUrl ? open(opts.readUrl) : undefined
    let discarding: Promise<void> | undefined
    const discardIdleConnections = () => {
      // Checking out every idle client and releasing it as broken is the pool's public way to close them.
      const pools = [pool, read?.pool].filter((p): p is pg.Pool => p !== undefined)
      discarding ??= Promise.allSettled(
        pools.flatMap((p) =>
          Array.from({ length: p.idleCount }, async () => (await p.connect()).release(true)),
        ),
      ).then(() => {
        discarding = undefined
      })
      return discarding
    }
    return {
      db,
      kind: 'postgres',
      pool,
      read,
      queryCount: () => count,
      discardIdleConnections,
      close: async () => {
        const ended = Promise.all([pool.end(), read?.pool.end()]).then(() => true)
        let timer: NodeJS.Timeout | undefined
        const gaveUp = new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), opts.closeTimeoutMs ?? 5_000)
          timer.unref()
        })
        const done = await Promise.race([ended, gaveUp])
        clearTimeout(timer)
        for (const watchdog of watchdogs) watchdog.stop()
        if (!done) {
          opts.onCloseTimeout?.({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })
        }
      },
    }
  }

  const owned = !opts.pglite
  const dataDir = opts.dataDir ?? './data'
  let release: (() => void) | undefined
  if (owned) {
    mkdirSync(dataDir, { recursive: true })
    release = lockDataDir(dataDir)
  }
  let client: PGlite
  try {
    client = opts.pglite ?? (await openPglite(join(dataDir, 'db')))
  } catch (err) {
    release?.()
    throw err
  }
  const { drizzle: drizzlePglite } = await import('drizzle-orm/pglite')
  const db = drizzlePglite(client, { schema, logger, casing }) as unknown as Db
  return {
    db,
    kind: 'pglite',
    pglite: client,
    queryCount: () => count,
    discardIdleConnections: async () => {},
    close: async () => {
      if (owned && !client.closed) await client.close()
      release?.()
    },
  }
}

const statements = new WeakMap<Db, Map<string, unknown>>()

/**
 * `column` is one of the ids `picked` (a subquery) selects, written `= any(array(…))` rather than `in (…)`. In a
 * prepared statement's generic plan `in` may become a semi-join driven from the outer rows: the tickets page's
 * hashed the whole eight-table join of every ticket to keep its twenty (167–350 ms on 86,690 tickets), where the
 * array looks them up by key (0.6–0.9 ms; bench/README.md).
 */
export const amongPicked = (column: AnyColumn, picked: SQLWrapper): SQL =>
  sql`${column} = any(array(${picked}))`

/**
 * `column` is one of the integer ids bound to the placeholder `name` as one array. A prepared statement then
 * serves any number of ids, where `inArray` writes one parameter per id: a new text, built and planned anew,
 * for each count.
 */
export const amongIds = (column: AnyColumn, name: string): SQL =>
  sql`${column} = any(${sql.placeholder(name)}::int[])`

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

type RowsOf<Q extends PgSelect> = Awaited<Q['_']['result']>

/**
 * One page of a list and the rows of its total, read in parallel by two statements prepared once per `shape`
 * (`preparedOnce`). `build` gives the list's ordered select (`$dynamic()`) and the select of its total, both
 * with `sql.placeholder`s for what `values` binds; the page adds its size and offset, bound as `limit` and
 * `offset`. Bound, the size costs no plan: PostgreSQL kept its generic plan for each of these lists
 * (`pg_prepared_statements`: 2 generic after 5 custom), and a client cycling through page sizes cannot make a
 * statement for each.
 */
export async function preparedPage<Q extends PgSelect, C extends PgSelect>(
  db: Db,
  shape: string,
  page: { perPage: number; offset: number },
  values: Record<string, unknown>,
  build: (db: Db) => { rows: Q; total: C },
): Promise<{ rows: RowsOf<Q>; total: RowsOf<C> }> {
  const statements = preparedOnce(db, shape, (d, name) => {
    const { rows, total } = build(d)
    return {
      rows: rows.limit(sql.placeholder('limit')).offset(sql.placeholder('offset')).prepare(`${name}:page`),
      total: total.prepare(`${name}:total`),
    }
  })
  const args = { ...values, limit: page.perPage, offset: page.offset }
  const [rows, total] = await Promise.all([statements.rows.execute(args), statements.total.execute(args)])
  return { rows, total }
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
 *
 * It calls drizzle's private `session.prepareQuery`: no public drizzle API runs raw SQL as a named prepared
 * statement, and none hands out a transaction's connection. drizzle-orm is therefore pinned to an exact
 * version in package.json, and test/platform/library-internals.test.ts fails when either moves.
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
