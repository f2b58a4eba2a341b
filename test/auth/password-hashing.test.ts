// A process runs at most PASSWORD_HASH_CONCURRENCY argon2id hashes at once and queues the rest (lib/passwords.ts):
// with more hashes in flight than cores, the hashing threads take the cores the event loop needs. The control
// shows that the same burst of logins runs several at once when the limit allows it.
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashLoad } from '../../src/lib/passwords.js'
import { type App, buildTestApp, PASSWORD, registerUser } from '../helpers.js'

/** This process's threads at the lowest CPU priority (nice 19), from /proc (Linux). */
function lowPriorityThreads(): number {
  return readdirSync('/proc/self/task').filter((task) => {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8')
    // Field 19 is the nice value; fields after "pid (comm)" start at field 3.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3] === '19'
  }).length
}

/** Six logins at once; the most hashes seen running and waiting while they were answered. */
async function burstOfLogins(app: App) {
  const user = await registerUser(app)
  let running = 0
  let waiting = 0
  let answered = false
  const sample = async () => {
    while (!answered) {
      const load = hashLoad()
      running = Math.max(running, load.running)
      waiting = Math.max(waiting, load.waiting)
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const sampling = sample()
  const answers = await Promise.all(
    Array.from({ length: 6 }, () =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: user.email, password: PASSWORD },
      }),
    ),
  )
  answered = true
  await sampling
  return { statuses: answers.map((a) => a.statusCode), running, waiting }
}

describe('password hashes at once, per process', () => {
  let app: App
  beforeAll(async () => {
    app = await buildTestApp({ PASSWORD_HASH_CONCURRENCY: '1' })
  })
  afterAll(() => app?.close())

  it('when six logins arrive at once with PASSWORD_HASH_CONCURRENCY=1, then one hash runs at a time, on one thread at the lowest priority, and every login succeeds', async () => {
    const burst = await burstOfLogins(app)
    expect(burst.statuses).toEqual(Array(6).fill(200))
    expect(burst.running).toBe(1)
    expect(burst.waiting).toBeGreaterThan(0)
    // The event loop and every other thread of the process keep their priority.
    expect(lowPriorityThreads()).toBe(1)
  })
})

describe('control: the same burst with PASSWORD_HASH_CONCURRENCY=6', () => {
  let app: App
  beforeAll(async () => {
    app = await buildTestApp({ PASSWORD_HASH_CONCURRENCY: '6' })
  })
  afterAll(() => app?.close())

  it('when the limit allows six, then several hashes run at once (the test above would see more than one)', async () => {
    const burst = await burstOfLogins(app)
    expect(burst.statuses).toEqual(Array(6).fill(200))
    expect(burst.running).toBeGreaterThan(1)
  })
})
