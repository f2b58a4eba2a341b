// The requests in flight, for a graceful shutdown: each counts from its arrival until its handler has answered
// and its response has closed.
//
// A response closes as soon as its client hangs up, while the handler may still be running (a password hash, then
// the insert that follows it). The database, Redis and the job queue close only once every handler has answered
// (`app.drain.idle()`, awaited by the app's last onClose hook), so such a handler finishes its work rather than
// failing on a closed pool (test/faults/processes.test.ts).
import type { IncomingMessage } from 'node:http'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Config } from '../config.js'
import { guardDisabled } from '../lib/guards.js'

declare module 'fastify' {
  interface FastifyInstance {
    drain: {
      /** Resolves once no request is in flight (at once if none is). */
      idle(): Promise<void>
    }
  }
}

export default fp<{ config: Config }>(
  async (app, { config }) => {
    // Control of the shutdown test: a request counts only until its response closes, as if the handler of a client
    // that hung up had nothing left to do.
    const waitsForHandlers = !guardDisabled(config, 'drain-handlers')
    // Each request's second settle (its handler's answer), until the first of onSend and onResponse calls it.
    const answered = new WeakMap<IncomingMessage, () => void>()
    let inFlight = 0
    let draining = false
    const waiters: (() => void)[] = []
    const finished = () => {
      inFlight--
      if (inFlight === 0) for (const wake of waiters.splice(0)) wake()
    }

    app.server.prependListener('request', (req, res) => {
      inFlight++
      // While draining, every answer closes its connection (`Connection: close`): a keep-alive connection that was
      // busy when the shutdown began would otherwise stay open, idle, until its keep-alive timeout, and hold the
      // server's close (connections idle at that moment are closed at once).
      if (draining) res.shouldKeepAlive = false
      let open = waitsForHandlers ? 2 : 1
      const settle = () => {
        open--
        if (open === 0) finished()
      }
      res.once('close', settle)
      if (waitsForHandlers) answered.set(req, settle)
    })
    const answer = (req: FastifyRequest) => {
      const settle = answered.get(req.raw)
      if (settle === undefined) return
      answered.delete(req.raw)
      settle()
    }
    // onSend runs when the handler (or the error handler) answers, whether or not its client is still there;
    // onResponse covers an answer written without onSend (Fastify's fallback when an error handler fails).
    app.addHook('onSend', (req, _reply, payload, done) => {
      answer(req)
      done(null, payload)
    })
    app.addHook('onResponse', (req, _reply, done) => {
      answer(req)
      done()
    })

    app.addHook('preClose', (done) => {
      draining = true
      // Once nothing is in flight, the connections left (a client's keep-alive socket half-closed, which Node may
      // keep counting) are closed: there is nothing on them to lose, and the close must not wait for them.
      const timer = setInterval(() => {
        if (inFlight > 0) return
        clearInterval(timer)
        app.server.closeAllConnections()
      }, 100)
      timer.unref()
      done()
    })

    app.decorate('drain', {
      idle: () =>
        inFlight === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              waiters.push(resolve)
            }),
    })
  },
  { name: 'drain' },
)
