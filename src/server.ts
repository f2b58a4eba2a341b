// Process entry: read the configuration, build the app, listen, and shut down gracefully.
import { pathToFileURL } from 'node:url'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, loadDotEnv } from './config.js'

export async function serve(): Promise<void> {
  loadDotEnv()
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await serve()
