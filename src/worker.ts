// The `stagedoor worker` process: the job workers, cron clock and queue maintenance, and no HTTP.
import closeWithGrace from 'close-with-grace'
import Fastify from 'fastify'
import type { Config } from './config.js'
import { logTransport } from './lib/log-format.js'
import contextPlugin from './plugins/context.js'
import dbPlugin from './plugins/db.js'
import jobsPlugin from './plugins/jobs.js'

/** The same plugins as the server's (database, job queue, service context), without routes or a listener. */
export async function buildWorker(config: Config) {
  const app = Fastify({
    logger: {
      ...logTransport(config),
      level: config.LOG_LEVEL,
      redact: { paths: ['*.password', '*.token'], remove: true },
    },
  })
  await app.register(dbPlugin, { config })
  await app.register(jobsPlugin, { config, workers: true })
  await app.register(contextPlugin, { config })
  await app.ready()
  return app
}

export class WorkerConfigError extends Error {}

export async function runWorker(config: Config): Promise<void> {
  if (!config.DATABASE_URL) {
    // PGlite is one process's database: a second process cannot open DATA_DIR beside the server.
    throw new WorkerConfigError(
      'stagedoor worker needs DATABASE_URL; the embedded database runs its workers in the server',
    )
  }
  const app = await buildWorker(config)
  // SIGTERM/SIGINT: take no new jobs, let a running one finish (up to SHUTDOWN_TIMEOUT), then close.
  closeWithGrace({ delay: (config.SHUTDOWN_TIMEOUT + 5) * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'worker stopping after an error')
    else app.log.info({ signal }, 'worker stopping')
    await app.close()
  })
  app.log.info({ pid: process.pid }, 'Stagedoor worker is running')
}
