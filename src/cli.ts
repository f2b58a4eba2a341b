// The `stagedoor` command line. Each command calls the same services as the HTTP routes.
import { Command } from 'commander'
import { buildApp } from './app.js'
import { loadConfig, loadDotEnv } from './config.js'
import { type Database, openDatabase } from './db/client.js'
import { runMigrations } from './db/migrate.js'
import { listFailedJobs, retryFailedJob } from './jobs/admin.js'
import { installJobQueueSchema } from './jobs/boss.js'

loadDotEnv()
const program = new Command('stagedoor').description('Stagedoor event ticketing and social API')

program
  .command('serve')
  .description('start the HTTP server')
  .action(async () => {
    const { serve } = await import('./server.js')
    await serve()
  })

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const config = loadConfig()
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
    try {
      await runMigrations(database)
      await installJobQueueSchema(database)
      console.log(`migrations applied (${database.kind})`)
    } finally {
      await database.close()
    }
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

async function withDatabase(run: (database: Database) => Promise<void>): Promise<void> {
  const config = loadConfig()
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR })
  try {
    await run(database)
  } finally {
    await database.close()
  }
}

void buildApp
await program.parseAsync()
