// The `stagedoor` command line. Each command calls the same services as the HTTP routes.
import { randomBytes } from 'node:crypto'
import { Command } from 'commander'
import { eq, sql } from 'drizzle-orm'
import pino from 'pino'
import { type Config, loadConfig, loadDotEnv } from './config.js'
import type { Ctx } from './context.js'
import { openDatabase, rowsOf } from './db/client.js'
import { runMigrations } from './db/migrate.js'
import { users } from './db/schema/index.js'
import { AppError } from './lib/errors.js'
import { createTokenService } from './lib/tokens.js'
import { register } from './modules/auth/auth.service.js'
import { setRole } from './modules/users/users.service.js'

/** Opens the database (migrated), runs `work` with a service context, and closes everything. */
async function withContext<T>(work: (ctx: Ctx, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
  try {
    await runMigrations(database)
    const log = pino({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL })
    return await work({ db: database.db, config, tokens: createTokenService(config), log }, config)
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
  .description('apply pending database migrations')
  .action(async () => {
    await withContext(async (ctx) => {
      const [row] = await rowsOf<{ n: number }>(
        ctx.db,
        sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
      )
      console.log(`migrations applied: ${row?.n ?? 0}`)
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
