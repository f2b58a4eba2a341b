// One server process: build the app, listen, and shut down gracefully (the requests in flight finish).
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
  // While draining, every answer closes its connection (`Connection: close`): a keep-alive connection that was
  // busy when the shutdown began would otherwise stay open, idle, until its keep-alive timeout, and hold the
  // server's close (connections idle at that moment are closed at once).
  let draining = false
  let inFlight = 0
  app.server.prependListener('request', (_req, res) => {
    inFlight++
    res.once('close', () => {
      inFlight--
    })
    if (draining) res.shouldKeepAlive = false
  })
  // Once nothing is in flight, the connections left (a client's keep-alive socket half-closed, which Node may
  // keep counting) are closed: there is nothing on them to lose, and the close must not wait for them.
  const closeWhenIdle = () => {
    const timer = setInterval(() => {
      if (inFlight > 0) return
      clearInterval(timer)
      app.server.closeAllConnections()
    }, 100)
    timer.unref()
  }
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close the database.
  const grace = closeWithGrace({ delay: config.SHUTDOWN_TIMEOUT * 1000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    // Control of the SIGTERM test: exit at once, dropping whatever is in flight.
    if (guardDisabled(config, 'graceful-shutdown')) process.exit(0)
    draining = true
    closeWhenIdle()
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
