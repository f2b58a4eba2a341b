// The `stagedoor` command line. Each command calls the same services as the HTTP routes.
import { randomBytes } from 'node:crypto'
import { Command } from 'commander'
import { eq, sql } from 'drizzle-orm'
import { buildApp } from './app.js'
import { loadConfig, loadDotEnv } from './config.js'
import type { Ctx } from './context.js'
import { type Database, openDatabase, rowsOf } from './db/client.js'
import { runMigrations } from './db/migrate.js'
import { users } from './db/schema/index.js'
import { listFailedJobs, retryFailedJob } from './jobs/admin.js'
import { AppError } from './lib/errors.js'
import { register } from './modules/auth/auth.service.js'
import { setRole } from './modules/users/users.service.js'

/**
 * Runs `work` with the same service context the server uses (database, job queue, tokens), from an app
 * that never listens and runs no job workers. On the embedded database the server must be stopped.
 */
async function withContext<T>(work: (ctx: Ctx) => Promise<T>): Promise<T> {
  const app = await buildApp(loadConfig({ ...process.env, WORKERS_IN_PROCESS: 'false' }), { logger: false })
  try {
    await app.ready()
    return await work(app.ctx)
  } finally {
    await app.close()
  }
}

async function withDatabase(run: (database: Database) => Promise<void>): Promise<void> {
  const config = loadConfig()
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
  try {
    await run(database)
  } finally {
    await database.close()
  }
}

loadDotEnv()
const program = new Command('stagedoor').description('Stagedoor event ticketing and social API')

program
  .command('serve')
  .description('start the HTTP server (WEB_CONCURRENCY processes)')
  .action(async () => {
    const { serve } = await import('./server.js')
    await serve()
  })

program
  .command('migrate')
  .description('apply pending database migrations (and install the job queue schema)')
  .action(async () => {
    await withDatabase(async (database) => {
      await runMigrations(database)
      const [row] = await rowsOf<{ n: number }>(
        database.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      )
      console.log(`migrations applied: ${row?.n ?? 0} (${database.kind})`)
    })
  })

program
  .command('worker')
  .description('run the job workers (e-mail, scheduled jobs) without the HTTP server')
  .action(async () => {
    const { runWorker, WorkerConfigError } = await import('./worker.js')
    try {
      await runWorker(loadConfig())
    } catch (err) {
      if (!(err instanceof WorkerConfigError)) throw err
      console.error(err.message)
      process.exitCode = 1
    }
  })

const jobs = program.command('jobs').description('inspect the job queue')

jobs
  .command('failed')
  .description('list dead-lettered jobs: those that failed every retry')
  .option('-n, --limit <n>', 'how many, newest first', '100')
  .action(async (opts: { limit: string }) => {
    await withDatabase(async (database) => {
      const failed = await listFailedJobs(database, Math.max(1, Number(opts.limit) || 100))
      if (failed.length === 0) console.log('no failed jobs')
      for (const j of failed) {
        const kind = j.kind ? ` ${j.kind}` : ''
        const when = j.failedOn?.toISOString() ?? '?'
        console.log(`${j.id}  ${j.queue}${kind}  attempts=${j.attempts}  failed=${when}  ${j.error ?? ''}`)
      }
    })
  })

jobs
  .command('retry <id>')
  .description('give a failed job one more attempt')
  .action(async (id: string) => {
    await withDatabase(async (database) => {
      if (!(await retryFailedJob(database, id))) {
        console.error(`no failed job with id ${id}`)
        process.exitCode = 1
        return
      }
      console.log(`job ${id} queued for another attempt`)
    })
  })

program
  .command('create-admin')
  .description('create an admin account, or make an existing account an admin')
  .requiredOption('--email <email>', 'email address')
  .option('--username <username>', 'username (default: the part of the email before @)')
  .option('--password <password>', 'password (default: a generated one, printed once)')
  .action(async (opts: { email: string; username?: string; password?: string }) => {
    await withContext(async (ctx) => {
      const [existing] = await ctx.db
        .select()
        .from(users)
        .where(eq(sql`lower(${users.email})`, opts.email.toLowerCase()))
      if (existing) {
        await setRole(ctx, existing.id, 'admin')
        console.log(`${existing.username} <${existing.email}> is now an admin`)
        return
      }
      const password = opts.password ?? randomBytes(18).toString('base64url')
      const username =
        opts.username ??
        opts.email
          .split('@')[0]!
          .replace(/[^A-Za-z0-9_.]/g, '_')
          .slice(0, 30)
      const { user } = await register(ctx, { email: opts.email, username, password })
      await setRole(ctx, user.id, 'admin')
      console.log(`created admin ${user.username} <${user.email}>`)
      if (!opts.password) console.log(`password: ${password}`)
    })
  })

program
  .command('seed')
  .description('fill the database with demo data (users, friendships, events with sections, posts)')
  .action(async () => {
    const { seed } = await import('./seed.js')
    await withContext((ctx) => seed(ctx))
  })

program
  .command('tickets-sold')
  .description('print capacity, held, sold and revenue per section of an event')
  .argument('<event_id>', 'the event id')
  .option('--json', 'print the report as JSON (the body of GET /events/{id}/sales)')
  .action(async (eventId: string, options: { json?: boolean }) => {
    const id = Number(eventId)
    if (!Number.isInteger(id) || id < 1 || id > 2_147_483_647)
      program.error('event_id must be a positive integer')
    const { salesReport } = await import('./modules/events/sales.service.js')
    const { formatSalesTable } = await import('./modules/events/sales.table.js')
    await withContext(async (ctx) => {
      try {
        const report = await salesReport(ctx, id)
        console.log(options.json ? JSON.stringify(report, null, 2) : formatSalesTable(report))
      } catch (err) {
        if (!(err instanceof AppError && err.code === 'NOT_FOUND')) throw err
        console.error(`error: event ${id} not found`)
        process.exitCode = 1
      }
    })
  })

program.parseAsync().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
