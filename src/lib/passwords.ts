// The one place that hashes and checks passwords: argon2id on libuv's thread pool, never on the event loop.
//
// A process runs at most its share of the machine's cores of hashes at once (PASSWORD_HASH_CONCURRENCY; by
// default the cores divided by WEB_CONCURRENCY), and queues the rest. libuv has 4 threads per process: with more
// hashes in flight than cores, the hashing threads and the event loops share the cores, each read waits behind
// the hashes, and the extra threads add switching, not hashes.
import { availableParallelism } from 'node:os'
import { type Algorithm, hash, verify } from '@node-rs/argon2'
import { dictionary } from '@zxcvbn-ts/language-common'
import pLimit, { type LimitFunction } from 'p-limit'
import { AppError } from './errors.js'

// 2 is Algorithm.Argon2id (an ambient const enum, which isolated modules cannot read).
const PARAMS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128

// The list is ranked by frequency; its first 10,000 entries are the most common passwords.
const COMMON = new Set((dictionary['passwords-common'] as string[]).slice(0, 10_000))

let hashing: LimitFunction = pLimit(availableParallelism())

/** This process's hashes at once: `concurrency`, or without it the cores divided among `processes`. */
export function setHashConcurrency(concurrency: number | undefined, processes: number): void {
  const n = concurrency ?? Math.max(1, Math.floor(availableParallelism() / processes))
  if (n !== hashing.concurrency) hashing = pLimit(n)
}

/** The hashes running and waiting in this process. */
export function hashLoad(): { running: number; waiting: number; concurrency: number } {
  return { running: hashing.activeCount, waiting: hashing.pendingCount, concurrency: hashing.concurrency }
}

export function hashPassword(password: string): Promise<string> {
  return hashing(() => hash(password, PARAMS))
}

// Verifying against this for an unknown user spends the same work as for a wrong password.
let dummyHash: Promise<string> | undefined
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword('stagedoor-timing-equaliser')
  const target = stored ?? (await dummyHash)
  const ok = await hashing(() => verify(target, password)).catch(() => false)
  return ok && stored !== undefined
}

/** Refuses passwords that are common or equal to the account's own names. Length is checked by the schema. */
export function assertPasswordStrong(
  password: string,
  identity: { username?: string; email?: string },
): void {
  const lower = password.toLowerCase()
  const reason = COMMON.has(lower)
    ? 'is one of the 10,000 most common passwords'
    : [identity.username, identity.email, identity.email?.split('@')[0]].some(
          (v) => v && v.toLowerCase() === lower,
        )
      ? 'must not be your username or email address'
      : undefined
  if (reason) {
    throw new AppError('WEAK_PASSWORD', `password ${reason}`, {
      errors: [{ path: 'body.password', message: reason }],
    })
  }
}
