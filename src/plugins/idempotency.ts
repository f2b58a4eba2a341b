// Idempotency-Key on the POSTs that create reservations and take payments (see lib/idempotency.ts for the design).
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Type } from 'typebox'
import type { Db } from '../db/client.js'
import { AppError } from '../lib/errors.js'
import { guardDisabled } from '../lib/guards.js'
import {
  claimKey,
  completeKey,
  type IdempotencyClaim,
  lookUpKeyUnguarded,
  releaseKey,
  requestHash,
  type StoredResponse,
  storeKeyUnguarded,
} from '../lib/idempotency.js'
import { actorOf, actorOfClaims } from './auth.js'

export const IDEMPOTENCY_HEADER = 'idempotency-key'
export const MAX_KEY_LENGTH = 255

/** The header as documented on each idempotent route (`schema.headers`). */
export const IdempotencyHeaders = Type.Object({
  [IDEMPOTENCY_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: MAX_KEY_LENGTH,
      description:
        'Any string up to 255 characters. The first answer is stored for 24 hours per user and key and ' +
        'replayed (with `Idempotent-Replayed: true`) for a repeat with the same body; another body gets 422 ' +
        'IDEMPOTENCY_KEY_REUSED; a repeat while the first is still running gets 409 IDEMPOTENCY_KEY_IN_USE.',
    }),
  ),
})

interface RequestClaim extends IdempotencyClaim {
  userId: number
  key: string
  /** Stores the answer of this key (inside the work's transaction, or afterwards for a 4xx). */
  store(db: Db, response: StoredResponse): Promise<void>
  /** Set once the service stored its answer inside its own transaction. */
  completedInWork: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    /** preHandler for an idempotent route: claims the key or replays the stored answer. Runs after authenticate. */
    idempotent: (req: FastifyRequest, reply: FastifyReply) => Promise<void>
  }
  interface FastifyRequest {
    /** The claimed Idempotency-Key of this request, handed to the service; null without the header. */
    idempotency: IdempotencyClaim | null
  }
}

export default fp(
  async (app) => {
    app.decorateRequest('idempotency', null)
    const db: Db = app.ctx.db
    // Test-only control (UNSAFE_DISABLE_GUARDS=idempotency): a plain look-up instead of the claim and an
    // unconditional store instead of the at-most-once completion, so that concurrent repeats all run.
    const unguarded = guardDisabled(app.ctx.config, 'idempotency')
    const claimOrLookUp = unguarded ? lookUpKeyUnguarded : claimKey

    app.decorate('idempotent', async (req: FastifyRequest, reply: FastifyReply) => {
      const key = req.headers[IDEMPOTENCY_HEADER]
      if (key === undefined) return
      if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
        const message = `must be one string of 1 to ${MAX_KEY_LENGTH} characters`
        throw new AppError('VALIDATION_FAILED', `headers.${IDEMPOTENCY_HEADER} ${message}`, {
          errors: [{ path: `headers.${IDEMPOTENCY_HEADER}`, message }],
        })
      }
      // A key is its caller's: a route that checks the token in its own statement (authenticateInStatement) has
      // it checked here first.
      if (!req.actor && req.claims) req.actor = await actorOfClaims(db, req.claims)
      const userId = actorOf(req).id
      const hash = requestHash({
        method: req.method,
        route: req.routeOptions.url ?? req.url,
        params: req.params,
        body: req.body,
      })
      const result = await claimOrLookUp(db, userId, key, hash)
      if (result.kind === 'replay') {
        const { status, body } = result.response
        reply.header('idempotent-replayed', 'true')
        if (status >= 400) reply.type('application/problem+json; charset=utf-8')
        return reply.code(status).send(body)
      }
      const claim: RequestClaim = {
        userId,
        key,
        completedInWork: false,
        store: (on, response) =>
          unguarded
            ? storeKeyUnguarded(on, userId, key, hash, response)
            : completeKey(on, userId, key, response),
        async complete(tx, status, body) {
          await claim.store(tx, { status, body })
          claim.completedInWork = true
        },
      }
      req.idempotency = claim
    })

    // Answers that did not come from a completed unit of work: 4xx outcomes are stored (the work rolled
    // back; the answer is the outcome), 5xx and lost claims are released so that a retry may run again.
    app.addHook('onSend', async (req, reply, payload) => {
      const claim = req.idempotency as RequestClaim | null
      if (!claim || (claim.completedInWork && reply.statusCode < 400)) return payload
      try {
        if (reply.statusCode >= 500 || typeof payload !== 'string') {
          await releaseKey(db, claim.userId, claim.key)
        } else {
          await claim.store(db, { status: reply.statusCode, body: JSON.parse(payload) })
        }
      } catch (err) {
        // Another attempt completed the key first, or the body was not JSON: nothing to store.
        req.log.debug({ err }, 'idempotency key left as it was')
      }
      return payload
    })
  },
  { name: 'idempotency', dependencies: ['context', 'auth'] },
)
