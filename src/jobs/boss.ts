// pg-boss on Stagedoor's own database: the adapters that let it share PGlite's single connection or the
// PostgreSQL pool, and the executor that makes a job insert part of the caller's drizzle transaction.
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import PgBoss from 'pg-boss'
import type { Config } from '../config.js'
import { type Database, type Db, runStatement, type Statement } from '../db/client.js'
import { SCHEDULED_JOBS } from './schedules.js'

export const BOSS_SCHEMA = 'pgboss'
export const MAIL_QUEUE = 'mail'
/** Serving a section's waiting list after places came back to it (modules/box-office/waitlist.serve.ts). */
export const WAITLIST_QUEUE = 'waitlist'
/** One attempt to deliver a webhook (modules/webhooks/webhooks.deliver.ts). */
export const WEBHOOK_QUEUE = 'webhook'
/** How long pg-boss keeps a job that has not run (its `keep_until`). */
const RETENTION_DAYS = 30
/** pg-boss's internal queue through which its cron clock sends scheduled jobs. */
const CRON_QUEUE = '__pgboss__send-it'

/** What pg-boss needs from a database: one statement (or a `BEGIN; …; COMMIT;` script) at a time. */
export interface BossDb extends PgBoss.Db {
  /** Resolves once every statement already handed over has finished (before the pool closes). */
  drain(): Promise<void>
}

// pg-boss sends its maintenance as one `BEGIN; …; COMMIT;` script without parameters. When a statement
// in it fails, the session is left inside an aborted transaction, so the script's connection must roll
// back before anyone else uses it.
const ROLLBACK_AFTER_FAILED_SCRIPT = /^\s*BEGIN\b/i

function tracked(run: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>): BossDb {
  const pending = new Set<Promise<unknown>>()
  return {
    executeSql(text, values) {
      const p = run(text, values)
      pending.add(p)
      const forget = () => pending.delete(p)
      p.then(forget, forget)
      return p as Promise<{ rows: never[] }>
    },
    async drain() {
      await Promise.allSettled([...pending])
    },
  }
}

/**
 * Embedded mode: PGlite is one connection and queues every `query`/`exec` behind an open transaction,
 * so pg-boss's polling simply waits its turn behind drizzle. (A job sent from *inside* a drizzle
 * transaction must not come here: it would wait for its own transaction. See `executorFor`.)
 */
function pgliteBossDb(database: Database): BossDb {
  const pglite = database.pglite!
  return tracked(async (text, values) => {
    if (values && values.length > 0) return pglite.query(text, values)
    try {
      const results = await pglite.exec(text)
      return results.at(-1) ?? { rows: [] }
    } catch (err) {
      if (ROLLBACK_AFTER_FAILED_SCRIPT.test(text)) await pglite.exec('ROLLBACK').catch(() => {})
      throw err
    }
  })
}

/** PostgreSQL: the app's own pool (one set of limits and timeouts), scripts on a connection of their own. */
function poolBossDb(database: Database): BossDb {
  const pool = database.pool!
  return tracked(async (text, values) => {
    if (values && values.length > 0) return pool.query(text, values)
    const client = await pool.connect()
    try {
      return await client.query(text)
    } catch (err) {
      if (ROLLBACK_AFTER_FAILED_SCRIPT.test(text)) await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  })
}

/**
 * Runs pg-boss's statements on `db`, so that when `db` is a transaction the job row is written, committed
 * or rolled back together with the change that caused it. pg-boss's insert is the same text every time:
 * it runs as a named prepared statement (named after its text), parsed and planned once per connection.
 */
export function executorFor(db: Db): PgBoss.Db {
  return {
    async executeSql(text, values = []) {
      const rows = await runStatement(db, statementFor(text), values.map(toParam))
      return { rows }
    },
  }
}

const statements = new Map<string, Statement>()

function statementFor(text: string): Statement {
  let statement = statements.get(text)
  if (!statement) {
    statement = { name: `pgboss_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`, text }
    statements.set(text, statement)
  }
  return statement
}

// A jsonb parameter goes as JSON text, which both drivers pass through unchanged; arrays stay arrays
// (pg-boss sends id lists as uuid[] parameters).
function toParam(value: unknown): unknown {
  if (value === undefined) return null
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date))
    return JSON.stringify(value)
  return value
}

// pg-boss's statement texts (its own module, not its public API; the package has no typings for it). Used so
// that the reservation statement writes its e-mails' jobs itself (one statement, one round trip), which the
// public insert() cannot. pg-boss is pinned to an exact version in package.json, and
// test/platform/library-internals.test.ts checks the insert's text by hash, so an upgrade is reviewed there.
const plans = createRequire(import.meta.url)('pg-boss/src/plans.js') as {
  insertJobs(schema: string): string
}

/**
 * pg-boss's job insert — the statement behind `boss.insert()` — for use as a CTE inside another statement,
 * so that a hot write and the jobs it causes are one statement: `jobs` is an SQL expression giving the jobs
 * as a json array of pg-boss's insert fields (`name`, `data`, `retryLimit`, `retryDelay`, `retryBackoff`,
 * `expireInSeconds` ...). Of pg-boss's defaults (its `$2`…`$6`) only the retention is ours; the rest are
 * left to the queue and to each job, as `send()` with our retry policy does.
 * Throws at start-up if an upgrade of pg-boss changed the statement's shape, rather than misbehave.
 */
export function jobInsertSql(jobs: string): string {
  const text = plans.insertJobs(BOSS_SCHEMA)
  const parts = text.split('json_to_recordset($1)')
  const params = text.match(/\$\d+/g) ?? []
  if (parts.length !== 2 || params.some((p) => !/^\$[1-6]$/.test(p)) || new Set(params).size !== 6) {
    throw new Error('pg-boss insertJobs statement changed shape: review jobInsertSql')
  }
  // $3 is the boss's retention (createBoss); the others are per job or the queue's. Replaced in pg-boss's text
  // only, before `jobs` (which may have parameters of its own) goes in.
  return parts
    .map((part) => part.replace(/\$3\b/, `'${RETENTION_DAYS} days'`).replace(/\$[2-6]\b/g, 'null'))
    .join(`json_to_recordset(${jobs})`)
}

export interface BossOptions {
  /** Run maintenance (expiry of stuck jobs, archiving) and the cron clock: true where workers run. */
  workers: boolean
}

export function bossDbFor(database: Database): BossDb {
  return database.kind === 'pglite' ? pgliteBossDb(database) : poolBossDb(database)
}

export function createBoss(
  database: Database,
  config: Config,
  opts: BossOptions,
): { boss: PgBoss; db: BossDb } {
  const db = bossDbFor(database)
  const boss = new PgBoss({
    db,
    schema: BOSS_SCHEMA,
    migrate: true,
    supervise: opts.workers,
    schedule: opts.workers && config.JOBS_SCHEDULES_ENABLED,
    maintenanceIntervalSeconds: config.JOBS_MAINTENANCE_INTERVAL,
    // Dead-lettered (failed) jobs stay in the job table, where `stagedoor jobs failed/retry` find them.
    archiveFailedAfterSeconds: 30 * 24 * 3600,
    retentionDays: RETENTION_DAYS,
  })
  return { boss, db }
}

/**
 * Creates the queues; a no-op for those that exist. Mail jobs carry their retry policy themselves (see
 * `createJobQueue`); the cron-fed queues get theirs from here.
 */
export async function prepareQueues(boss: PgBoss): Promise<void> {
  const existing = new Set((await boss.getQueues()).map((q) => q.name))
  const create = async (name: string, options: Omit<PgBoss.Queue, 'name'> = {}) => {
    if (!existing.has(name)) await boss.createQueue(name, { name, ...options })
  }
  await create(MAIL_QUEUE)
  await create(WAITLIST_QUEUE)
  await create(WEBHOOK_QUEUE)
  // pg-boss's cron clock makes this one on its first start otherwise.
  await create(CRON_QUEUE)
  for (const job of SCHEDULED_JOBS) {
    // singleton: a slow run is never overlapped by the next tick.
    await create(job.name, { policy: 'singleton', retryLimit: 2, expireInSeconds: 600 })
  }
}

/**
 * Creates or upgrades pg-boss's own schema and our queues (`stagedoor migrate`, test templates). pg-boss
 * does the same on any first start, but each queue is a partition with its indexes: DDL that costs seconds
 * on PGlite, better paid once in a migrated template than by every test app.
 */
export async function installJobQueueSchema(database: Database): Promise<void> {
  const db = bossDbFor(database)
  const boss = new PgBoss({ db, schema: BOSS_SCHEMA, migrate: true, supervise: false, schedule: false })
  await boss.start()
  await prepareQueues(boss)
  await boss.stop({ graceful: false, wait: true })
  await db.drain()
}
