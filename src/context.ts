// What services receive besides the actor and the input: the database and the process-wide services.
import type { FastifyBaseLogger } from 'fastify'
import type { Config } from './config.js'
import type { Db } from './db/client.js'
import type { JobQueue } from './jobs/queue.js'
import type { TokenService } from './lib/tokens.js'

export interface Ctx {
  db: Db
  config: Config
  tokens: TokenService
  log: FastifyBaseLogger
  /** Enqueue jobs (e-mail) inside the caller's transaction: `ctx.jobs.send(tx, …)`. */
  jobs: JobQueue
}

/** The authenticated caller, as services see it. `role` is read from the database on every request. */
export interface Actor {
  id: number
  role: 'user' | 'admin'
  sessionId: string
  jti: string
  fresh: boolean
  /** Access-token expiry, seconds since the epoch. */
  exp: number
}
