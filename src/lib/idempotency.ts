// Idempotency-Key storage: claim a key, complete it inside the work's own transaction, replay it afterwards.
//
// Design (per user and key, 24 hours):
// 1. Claim: one autocommitted INSERT … ON CONFLICT puts the key in as "running" (no response yet) with the
//    hash of the request. A concurrent claim of the same key waits on the primary key, then finds the row:
//    same hash and running → 409 IDEMPOTENCY_KEY_IN_USE; same hash and completed → the stored response is
//    replayed; another hash → 422 IDEMPOTENCY_KEY_REUSED.
// 2. Work: the service stores the response with `complete(tx, …)` in the SAME transaction as the work,
//    by a conditional UPDATE (`completed_at is null`). So the work and its stored answer commit together
//    or not at all, and at most one transaction can ever complete a key: a second one finds the row
//    completed (it waits on the row lock first) and rolls its work back.
// 3. Errors: a 4xx business answer (SOLD_OUT, PAYMENT_DECLINED, …) is the outcome of the request, so it is
//    stored after the rolled-back work, by the same conditional UPDATE. A 5xx deletes the claim so the
//    client can retry; its work was rolled back, nothing to replay.
// Crashes: a process dying after the claim and before the commit leaves a running key and no work. After
// LEASE_SECONDS the same request may claim it again (the work never committed, so running it again cannot
// charge twice); a retry before that gets 409 IN_USE. A process dying after the commit left the key
// completed with the work, so the retry is replayed. Should a slow first attempt outlive its lease and a
// retry take over, both may run but only the first to complete commits (step 2); the other rolls back.
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { and, eq, isNull, lt, sql } from 'drizzle-orm'
import type { Db } from '../db/client.js'
import { idempotencyKeys } from '../db/schema/index.js'
import { AppError } from './errors.js'

export const KEY_TTL_HOURS = 24
/** How long a running key is protected from a retry; longer than any request may run (REQUEST_TIMEOUT). */
export const LEASE_SECONDS = 120

export interface StoredResponse {
  status: number
  body: unknown
}

export type ClaimResult = { kind: 'claimed' } | { kind: 'replay'; response: StoredResponse }

/** The hash that tells "the same request" from "another request with the same key". */
export function requestHash(input: {
  method: string
  route: string
  params: unknown
  body: unknown
}): string {
  return createHash('sha256')
    .update(canonicalJson([input.method, input.route, input.params ?? null, input.body ?? null]))
    .digest('base64url')
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

export async function claimKey(db: Db, userId: number, key: string, hash: string): Promise<ClaimResult> {
  const k = idempotencyKeys
  // A row older than the TTL is gone for every purpose; a running row past its lease was abandoned.
  const claimed = await db
    .insert(k)
    .values({ userId, key, requestHash: hash })
    .onConflictDoUpdate({
      target: [k.userId, k.key],
      set: {
        requestHash: hash,
        responseStatus: null,
        responseBody: null,
        completedAt: null,
        createdAt: sql`now()`,
      },
      setWhere: sql`${k.createdAt} < now() - make_interval(hours => ${KEY_TTL_HOURS})
        or (${k.completedAt} is null and ${k.requestHash} = ${hash}
            and ${k.createdAt} < now() - make_interval(secs => ${LEASE_SECONDS}))`,
    })
    .returning({ userId: k.userId })
  if (claimed.length > 0) return { kind: 'claimed' }

  const [row] = await db
    .select()
    .from(k)
    .where(and(eq(k.userId, userId), eq(k.key, key)))
  if (!row) throw inUse() // purged between the two statements: treat like a running request
  if (row.requestHash !== hash) {
    throw new AppError(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used for a different request; use a new key for a new request',
    )
  }
  if (row.completedAt === null || row.responseStatus === null) throw inUse()
  return { kind: 'replay', response: { status: row.responseStatus, body: row.responseBody } }
}

const inUse = () =>
  new AppError('IDEMPOTENCY_KEY_IN_USE', 'A request with this Idempotency-Key is still being processed')

/**
 * Stores the response of a claimed key, in the caller's transaction. Throws IDEMPOTENCY_KEY_IN_USE (rolling
 * the work back) when another attempt completed the key first.
 */
export async function completeKey(
  db: Db,
  userId: number,
  key: string,
  response: StoredResponse,
): Promise<void> {
  const k = idempotencyKeys
  const done = await db
    .update(k)
    .set({ responseStatus: response.status, responseBody: response.body, completedAt: sql`now()` })
    .where(and(eq(k.userId, userId), eq(k.key, key), isNull(k.completedAt)))
    .returning({ userId: k.userId })
  if (done.length === 0) throw inUse()
}

/** Forgets a running claim whose request failed without an answer worth replaying (5xx). */
export async function releaseKey(db: Db, userId: number, key: string): Promise<void> {
  const k = idempotencyKeys
  await db.delete(k).where(and(eq(k.userId, userId), eq(k.key, key), isNull(k.completedAt)))
}

const UNGUARDED_LOOK_UP_PAUSE_MS = 200

/**
 * Test-only stand-in for `claimKey` (UNSAFE_DISABLE_GUARDS=idempotency): the naive look-up that the control
 * tests must catch. It replays a stored answer but marks nothing as running, so concurrent repeats of one
 * request all find no answer and all do the work; `storeKeyUnguarded` then keeps whichever answer comes last.
 */
export async function lookUpKeyUnguarded(
  db: Db,
  userId: number,
  key: string,
  hash: string,
): Promise<ClaimResult> {
  const k = idempotencyKeys
  const [row] = await db
    .select()
    .from(k)
    .where(and(eq(k.userId, userId), eq(k.key, key)))
  if (!row || row.completedAt === null || row.responseStatus === null) {
    // Test-only widening of the window between the look-up and the store: repeats sent at once then look
    // up before the first has stored its answer even when a loaded machine runs them one after another.
    await sleep(UNGUARDED_LOOK_UP_PAUSE_MS)
    return { kind: 'claimed' }
  }
  if (row.requestHash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request')
  }
  return { kind: 'replay', response: { status: row.responseStatus, body: row.responseBody } }
}

/** Test-only stand-in for `completeKey` beside `lookUpKeyUnguarded`: stores the answer unconditionally. */
export async function storeKeyUnguarded(
  db: Db,
  userId: number,
  key: string,
  hash: string,
  response: StoredResponse,
): Promise<void> {
  const k = idempotencyKeys
  const answer = { responseStatus: response.status, responseBody: response.body, completedAt: sql`now()` }
  await db
    .insert(k)
    .values({ userId, key, requestHash: hash, ...answer })
    .onConflictDoUpdate({ target: [k.userId, k.key], set: { requestHash: hash, ...answer } })
}

/** Deletes keys past their 24 hours. */
export async function purgeIdempotencyKeys(db: Db): Promise<number> {
  const k = idempotencyKeys
  const gone = await db
    .delete(k)
    .where(lt(k.createdAt, sql`now() - make_interval(hours => ${KEY_TTL_HOURS})`))
    .returning({ userId: k.userId })
  return gone.length
}

/** What a service receives to store its answer inside its own transaction. */
export interface IdempotencyClaim {
  complete(tx: Db, status: number, body: unknown): Promise<void>
}
