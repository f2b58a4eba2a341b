// Process entry (`npm start`, `node dist/server.js`, `stagedoor serve`): read the configuration, then serve HTTP
// in this process or, with WEB_CONCURRENCY > 1 (PostgreSQL only), supervise that many server processes sharing
// the port, the way gunicorn runs its workers.
// This file and the supervising primary load only the configuration and node:cluster. The server code (Fastify,
// the database drivers, every module) is imported in the processes that serve, and the migrations in a
// short-lived process of their own, so the primary stays small (bench/README.md, "Memory").
import cluster from 'node:cluster'
import { pathToFileURL } from 'node:url'
import { type Config, ConfigError, loadConfig, loadDotEnv } from './config.js'
import { DataDirInUseError } from './db/data-dir-lock.js'

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

export async function serve(): Promise<void> {
  const config = readConfig()
  if (config.WEB_CONCURRENCY > 1) {
    const { runPrimary, runClusterChild } = await import('./cluster.js')
    if (cluster.isPrimary) await runPrimary(config)
    else await runClusterChild(config)
    return
  }
  const { runServer } = await import('./server-process.js')
  try {
    await runServer(config)
  } catch (err) {
    // Another process has the embedded database: say so in one line, as for a bad setting.
    if (err instanceof DataDirInUseError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serve()
