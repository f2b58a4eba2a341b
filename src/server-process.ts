// One server process: build the app, listen, and shut down gracefully (the requests in flight finish,
// plugins/drain.ts).
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { type Config, ownOrigin } from './config.js'
import { guardDisabled } from './lib/guards.js'

export interface RunningServer {
  /** Graceful shutdown, as on SIGTERM: stop accepting, finish the requests in flight, close, exit 0. */
  close(): void
}

export async function runServer(config: Config): Promise<RunningServer> {
  const started = Date.now()
  const app = await buildApp(config)
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database.
  const grace = closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    // Control of the SIGTERM test: exit at once, dropping whatever is in flight.
    if (guardDisabled(config, 'graceful-shutdown')) process.exit(0)
    await app.close()
  })
  await app.listen({ port: config.PORT, host: config.HOST })
  // PUBLIC_URL left to its default names this server; with PORT=0 only the listening socket knows the port.
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.PORT
  const defaulted = config.PUBLIC_URL === ownOrigin(config.HOST, config.PORT)
  const origin = defaulted ? ownOrigin(config.HOST, port) : config.PUBLIC_URL
  app.log.info(
    { database: app.database.kind, port, startupMs: Date.now() - started, docs: `${origin}/docs` },
    'Stagedoor is ready',
  )
  return { close: grace.close }
}
