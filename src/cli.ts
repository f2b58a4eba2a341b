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

void buildApp
await program.parseAsync()
