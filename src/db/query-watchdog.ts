// The client-side bound on a query (DATABASE_QUERY_TIMEOUT): a connection that went silent (a dropped link or
// a frozen host, with no reset) would hold its request and its pooled connection until TCP gives up, many
// minutes later, and the server's statement_timeout cannot end what the server never received.
//
// node-postgres has this bound (`query_timeout`) as one timer per query, whose callback holds the query and,
// through it, its rows and its caller. Those timers kept every request in flight alive across young-generation
// collections: a server process under `GET /events` at 16 connections copied 2.3 MB per scavenge and promoted
// most of it, against 0.36 MB without the timers, and the old generation's growth cost ~4 page faults per
// request (bench/README.md, "Where the time goes"). Here one interval per pool looks at every connection's
// last unanswered query instead: a query costs a number written on its connection, and nothing it holds.
import pg from 'pg'

export interface QueryWatchdog {
  /** The pool's `Client`: a node-postgres client that notes when it sends a query and when it is answered. */
  Client: typeof pg.Client
  /** Stops the interval (the pool is ending). */
  stop(): void
}

/** The message node-postgres's own timeout used: db/errors.ts classifies it as a lost connection (503). */
const QUERY_READ_TIMEOUT = 'Query read timeout'

/**
 * A watchdog for the connections of one pool: a connection whose query has gone unanswered for `timeoutMs`
 * (at most a quarter of it, or a second, later) is destroyed. Its query fails with `QUERY_READ_TIMEOUT` (a
 * 503 to the client, db/errors.ts), and the pool replaces the connection when it is released.
 */
export function queryWatchdog(timeoutMs: number): QueryWatchdog {
  const period = Math.min(1000, Math.max(25, Math.floor(timeoutMs / 4)))
  const limit = Math.ceil(timeoutMs / period)
  // A small integer, so that noting it on a connection allocates nothing.
  let tick = 1
  const clients = new Set<WatchedClient>()

  class WatchedClient extends pg.Client {
    /** The tick at which this connection was last sent a query still unanswered; 0 while it is idle. */
    sentAt = 0

    constructor(config?: string | pg.ClientConfig) {
      super(config)
      clients.add(this)
      // 'drain': the connection has answered every query it was given.
      this.on('drain', () => {
        this.sentAt = 0
      })
      this.on('end', () => clients.delete(this))
      const send = this.query
      // An own property over the prototype's overloaded method: the arguments pass through untouched.
      this.query = function (this: WatchedClient, ...args: Parameters<typeof send>) {
        this.sentAt = tick
        return Reflect.apply(send, this, args)
      } as typeof send
    }
  }

  const timer = setInterval(() => {
    tick++
    for (const client of clients) {
      if (client.sentAt !== 0 && tick - client.sentAt > limit) {
        client.sentAt = 0
        client.connection.stream.destroy(new Error(QUERY_READ_TIMEOUT))
      }
    }
  }, period)
  timer.unref()
  return { Client: WatchedClient, stop: () => clearInterval(timer) }
}
