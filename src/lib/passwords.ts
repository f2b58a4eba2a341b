// The one place that hashes and checks passwords: argon2id, never on the event loop.
//
// Hashes run on a few worker threads of their own at the lowest CPU priority (nice 19): at full load a login
// takes whatever CPU the event loops leave, and a read never waits behind a hash for its share of a core.
// A process runs at most its share of the cores of hashes at once (PASSWORD_HASH_CONCURRENCY; by default the
// cores it may use, lib/cores.ts, divided by WEB_CONCURRENCY), one per thread, and queues the rest: more hashes
// at once than cores add switching, not hashes.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Algorithm } from '@node-rs/argon2'
import { dictionary } from '@zxcvbn-ts/language-common'
import pLimit, { type LimitFunction } from 'p-limit'
import { usableCores } from './cores.js'
import { AppError } from './errors.js'

// 2 is Algorithm.Argon2id (an ambient const enum, which isolated modules cannot read).
const PARAMS = { algorithm: 2 as Algorithm, memoryCost: 19_456, timeCost: 2, parallelism: 1 }

export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128

// The list is ranked by frequency; its first 10,000 entries are the most common passwords.
const COMMON = new Set((dictionary['passwords-common'] as string[]).slice(0, 10_000))

// The hashing thread: plain JavaScript (it runs the same under tsx, vitest and the compiled build), given the
// library's resolved path. It lowers its own priority: on Linux a thread's nice value is its own.
const HASHER = `
const { parentPort, workerData } = require('node:worker_threads')
const argon2 = require(workerData.argon2)
try { require('node:os').setPriority(19) } catch {}
parentPort.on('message', ({ op, password, hashed, params }) => {
  try {
    const value = op === 'hash' ? argon2.hashSync(password, params) : argon2.verifySync(hashed, password)
    parentPort.postMessage({ value })
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) })
  }
})`
const argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2')

type Job =
  | { op: 'hash'; password: string; params: typeof PARAMS }
  | { op: 'verify'; password: string; hashed: string }

/** Idle hashing threads; `hashing` never runs more jobs at once than it may start threads. */
const idle: Worker[] = []

function runOnThread<T>(job: Job): Promise<T> {
  const worker = idle.pop() ?? new Worker(HASHER, { eval: true, workerData: { argon2: argon2Path } })
  return new Promise<T>((resolve, reject) => {
    const done = (settle: () => void) => {
      worker.off('message', onMessage)
      worker.off('error', onError)
      worker.off('exit', onExit)
      // An idle thread does not keep the process alive.
      worker.unref()
      settle()
    }
    const onMessage = (m: { value?: T; error?: string }) =>
      done(() => {
        idle.push(worker)
        if (m.error !== undefined) reject(new Error(m.error))
        else resolve(m.value as T)
      })
    // A thread that failed or ended is not reused: the next job starts another.
    const onError = (err: Error) => done(() => reject(err))
    const onExit = (code: number) => done(() => reject(new Error(`hashing thread exited (${code})`)))
    worker.on('message', onMessage)
    worker.on('error', onError)
    worker.on('exit', onExit)
    worker.ref()
    worker.postMessage(job)
  })
}

let hashing: LimitFunction = pLimit(usableCores())

/** This process's hashes at once: `concurrency`, or without it the cores divided among `processes`. */
export function setHashConcurrency(concurrency: number | undefined, processes: number): void {
  const n = concurrency ?? Math.max(1, Math.floor(usableCores() / processes))
  if (n === hashing.concurrency) return
  hashing = pLimit(n)
  // Threads beyond the new limit are never needed again.
  for (const worker of idle.splice(n)) void worker.terminate()
}

/** The hashes running and waiting in this process. */
export function hashLoad(): { running: number; waiting: number; concurrency: number } {
  return { running: hashing.activeCount, waiting: hashing.pendingCount, concurrency: hashing.concurrency }
}

export function hashPassword(password: string): Promise<string> {
  return hashing(() => runOnThread<string>({ op: 'hash', password, params: PARAMS }))
}

// Verifying against this for an unknown user spends the same work as for a wrong password.
let dummyHash: Promise<string> | undefined
export async function verifyPassword(stored: string | undefined, password: string): Promise<boolean> {
  dummyHash ??= hashPassword('stagedoor-timing-equaliser')
  const target = stored ?? (await dummyHash)
  const ok = await hashing(() => runOnThread<boolean>({ op: 'verify', password, hashed: target })).catch(
    () => false,
  )
  return ok && stored !== undefined
}

/** The reasons assertPasswordStrong gives (the API's words; the pages say them as sentences). */
export const COMMON_PASSWORD = 'is one of the 10,000 most common passwords'
export const PASSWORD_IS_A_NAME = 'must not be your username or email address'

/**
 * Refuses passwords that are common or equal to the account's own names. Length is checked by the schema. `field`
 * is the body's field the password came in, which the error's path names.
 */
export function assertPasswordStrong(
  password: string,
  identity: { username?: string; email?: string },
  field: 'password' | 'new_password' = 'password',
): void {
  const lower = password.toLowerCase()
  const reason = COMMON.has(lower)
    ? COMMON_PASSWORD
    : [identity.username, identity.email, identity.email?.split('@')[0]].some(
          (v) => v && v.toLowerCase() === lower,
        )
      ? PASSWORD_IS_A_NAME
      : undefined
  if (reason) {
    throw new AppError('WEAK_PASSWORD', `${field} ${reason}`, {
      errors: [{ path: `body.${field}`, message: reason }],
    })
  }
}
