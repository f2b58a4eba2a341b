// The `stagedoor` command line. Each command calls the same services as the HTTP routes.
import { Command } from 'commander'
import { buildApp } from './app.js'
import { loadConfig, loadDotEnv } from './config.js'
import { openDatabase } from './db/client.js'
import { runMigrations } from './db/migrate.js'

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
      console.log(`migrations applied (${database.kind})`)
    } finally {
      await database.close()
    }
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
    const app = await buildApp(loadConfig(), { logger: false })
    try {
      const report = await salesReport(app.ctx, id)
      console.log(options.json ? JSON.stringify(report, null, 2) : formatSalesTable(report))
    } catch (err) {
      if (!(err instanceof Error && 'code' in err && err.code === 'NOT_FOUND')) throw err
      console.error(`error: event ${id} not found`)
      process.exitCode = 1
    } finally {
      await app.close()
    }
  })

await program.parseAsync()
