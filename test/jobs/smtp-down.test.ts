// SMTP down: the job is retried with backoff, then dead-lettered; the API keeps answering; `jobs retry` delivers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listFailedJobs, retryFailedJob } from '../../src/jobs/admin.js'
import { type App, buildTestApp, registerUser } from '../helpers.js'
import { freePort, type Inbox, startInbox, tokenFrom, waitUntil } from '../mail/inbox.js'
import { mailJobs } from './helpers.js'

let app: App
let inbox: Inbox | undefined
let port: number
beforeAll(async () => {
  port = await freePort()
  app = await buildTestApp({
    WORKERS_IN_PROCESS: 'true',
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    JOBS_RETRY_LIMIT: '2',
    JOBS_RETRY_DELAY: '1',
  })
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

describe('when the SMTP server is down', () => {
  it('retries, dead-letters the job, keeps the API up, and delivers once `jobs retry` runs after SMTP is back', async () => {
    const user = await registerUser(app)
    // Attempts 1..3 (retry limit 2) fail with a refused connection, with backoff in between.
    const failed = await waitUntil(async () => {
      const [job] = await mailJobs(app)
      return job?.state === 'failed' ? job : undefined
    }, 30_000)
    expect(failed.retry_count).toBe(2)

    // The API never noticed.
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200)
    await registerUser(app)

    const dead = await listFailedJobs(app.database)
    expect(dead.find((j) => j.id === failed.id)).toMatchObject({
      queue: 'mail',
      kind: 'verify-email',
      attempts: 3,
      error: expect.stringMatching(/ECONNREFUSED|connect/i),
    })

    inbox = await startInbox(port)
    expect(await retryFailedJob(app.database, failed.id)).toBe(true)
    expect(await retryFailedJob(app.database, failed.id)).toBe(false)
    const [mail] = await inbox.waitFor(1, (m) => m.to.includes(user.email))
    expect(tokenFrom(mail!, '/verify-email')).toMatch(/^[\w-]{43}$/)
    await waitUntil(async () => (await mailJobs(app)).find((j) => j.id === failed.id)?.state === 'completed')
    expect(inbox.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1)
  })

  it('retrying an unknown or malformed id reports false', async () => {
    expect(await retryFailedJob(app.database, '00000000-0000-4000-8000-000000000000')).toBe(false)
    expect(await retryFailedJob(app.database, 'nope')).toBe(false)
  })
})
