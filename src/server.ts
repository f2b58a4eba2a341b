// Process entry: read the configuration, build the app, listen, and shut down gracefully.
// With WEB_CONCURRENCY > 1 (PostgreSQL only) a primary migrates once, then forks that many servers
// sharing the port, the way gunicorn runs its workers.
import cluster from 'node:cluster'
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js'
import { openDatabase } from './db/client.js'
import { runMigrations } from './db/migrate.js'

function readConfig(): Config {
  loadDotEnv()
  try {
    const config = loadConfig()
    if (config.WEB_CONCURRENCY > 1 && !config.DATABASE_URL) {
      throw new ConfigError(
        'WEB_CONCURRENCY: more than one process needs DATABASE_URL (the embedded database is single-process)',
      )
    }
    return config
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}

async function runServer(config: Config): Promise<void> {
  const started = Date.now()
  const app = await buildApp(config)
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database.
  closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
  app.log.info(
    { database: app.database.kind, startupMs: Date.now() - started, docs: `${config.PUBLIC_URL}/docs` },
    'Stagedoor is ready',
  )
}

async function runPrimary(config: Config): Promise<void> {
  if (config.MIGRATE_ON_START) {
    const database = await openDatabase({ databaseUrl: config.DATABASE_URL })
    await runMigrations(database)
    await database.close()
  }
  // The processes share the listening socket and the kernel hands each connection to one of them. Node's
  // default on Linux, round-robin, has this primary accept every connection and pass it to a process over IPC:
  // that took more than half of the server's CPU when 500 buyers connected at once (bench/README.md).
  // NODE_CLUSTER_SCHED_POLICY=rr brings round-robin back.
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE
  let stopping = false
  const fork = () => cluster.fork({ MIGRATE_ON_START: 'false' })
  for (let i = 0; i < config.WEB_CONCURRENCY; i++) fork()
  cluster.on('exit', (worker, code) => {
    if (stopping) return
    console.error(`server process ${worker.process.pid} exited (${code}); starting another`)
    fork()
  })
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      stopping = true
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM')
    })
  }
}

export async function serve(): Promise<void> {
  const config = readConfig()
  if (config.WEB_CONCURRENCY > 1 && cluster.isPrimary) await runPrimary(config)
  else await runServer(config)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serve()
