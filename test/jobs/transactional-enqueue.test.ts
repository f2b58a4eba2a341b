// A job is written in the transaction of the change that causes it: rollback sends nothing, commit sends once.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mailDeliveries, users } from '../../src/db/schema/index.js'
import { deliverMailJob } from '../../src/jobs/mail.job.js'
import { queueVerifyEmail } from '../../src/mail/queue.js'
import { createMailer } from '../../src/mail/transport.js'
import { type App, buildTestApp, PASSWORD, registerUser } from '../helpers.js'
import { type Inbox, startInbox, waitUntil } from '../mail/inbox.js'
import { mailJobs, mailSettled } from './helpers.js'

let app: App
let inbox: Inbox
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildTestApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

/** Every mail job queued so far has finished: the inbox holds all it will ever get. */
const settle = () => mailSettled(app)

/** The worker writes the sent-log just after the SMTP server accepted the message: waits for that row. */
const sentLog = (jobId: string) =>
  waitUntil(async () => {
    const [row] = await app.ctx.db.select().from(mailDeliveries).where(eq(mailDeliveries.cause, jobId))
    return row?.status === 'sent' ? row : undefined
  })

describe('enqueueing inside a transaction', () => {
  it('a transaction that fails after enqueueing leaves no job and sends nothing', async () => {
    const user = await registerUser(app)
    await inbox.waitFor(1, (m) => m.to.includes(user.email))
    const jobsBefore = (await mailJobs(app)).length
    await expect(
      app.ctx.db.transaction(async (tx) => {
        await tx.update(users).set({ bio: 'changed' }).where(eq(users.id, user.id))
        await queueVerifyEmail(tx, app.ctx, { userId: user.id, email: user.email, welcome: false })
        throw new Error('something after the enqueue failed')
      }),
    ).rejects.toThrow('something after the enqueue failed')
    await settle()
    expect(await mailJobs(app)).toHaveLength(jobsBefore)
    expect(inbox.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1)
    const [row] = await app.ctx.db.select().from(users).where(eq(users.id, user.id))
    expect(row!.bio).toBe('')
  })

  it('a registration that rolls back (email taken) sends nothing; the committed one sends exactly one', async () => {
    const email = 'only-once@example.com'
    await registerUser(app, { email })
    const dup = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: email.toUpperCase(), username: 'second_try', password: PASSWORD },
    })
    expect(dup.statusCode).toBe(409)
    await inbox.waitFor(1, (m) => m.to.includes(email))
    await settle()
    expect(inbox.messages.filter((m) => m.to.includes(email))).toHaveLength(1)
    expect(inbox.messages.filter((m) => m.to.includes(email.toUpperCase()))).toHaveLength(0)
  })

  it('the job commits with the transaction and is visible to no one before', async () => {
    const user = await registerUser(app)
    await inbox.waitFor(1, (m) => m.to.includes(user.email))
    let jobId = ''
    await app.ctx.db.transaction(async (tx) => {
      jobId = await queueVerifyEmail(tx, app.ctx, { userId: user.id, email: user.email, welcome: false })
    })
    const [mail] = await inbox.waitFor(1, (m) => m.messageId.startsWith(`<${jobId}.`))
    expect(mail!.to).toEqual([user.email])
    const log = await sentLog(jobId)
    expect(log).toMatchObject({ status: 'sent', recipient: user.email, kind: 'verify-email' })
  })
})

describe('delivering the same job twice', () => {
  it('sends once: the second delivery finds the sent-log and sends nothing', async () => {
    const user = await registerUser(app)
    const [first] = await inbox.waitFor(1, (m) => m.to.includes(user.email))
    const jobId = /^<([0-9a-f-]{36})\./.exec(first!.messageId)![1]!
    await sentLog(jobId)
    const mailer = createMailer(app.config, app.log)
    const outcome = await deliverMailJob(
      { ctx: app.ctx, mailer },
      {
        id: jobId,
        data: { kind: 'verify-email', userId: user.id, email: user.email, welcome: true },
        expireInSeconds: 60,
      },
    )
    mailer.close()
    expect(outcome).toBe('already-done')
    await settle()
    expect(inbox.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1)
  })

  it('while another live worker holds the claim, a second delivery refuses (and pg-boss retries it later)', async () => {
    const user = await registerUser(app)
    await inbox.waitFor(1, (m) => m.to.includes(user.email))
    const cause = '00000000-0000-4000-8000-000000000001'
    await app.ctx.db.insert(mailDeliveries).values({
      cause,
      kind: 'verify-email',
      status: 'sending',
      claimedUntil: new Date(Date.now() + 60_000),
    })
    const mailer = createMailer(app.config, app.log)
    const job = { kind: 'verify-email' as const, userId: user.id, email: user.email, welcome: false }
    await expect(
      deliverMailJob({ ctx: app.ctx, mailer }, { id: cause, data: job, expireInSeconds: 60 }),
    ).rejects.toThrow(/being sent by another worker/)
    // Once that claim has run out (its worker died), the delivery goes ahead.
    await app.ctx.db
      .update(mailDeliveries)
      .set({ claimedUntil: new Date(Date.now() - 1000) })
      .where(eq(mailDeliveries.cause, cause))
    expect(
      await deliverMailJob({ ctx: app.ctx, mailer }, { id: cause, data: job, expireInSeconds: 60 }),
    ).toBe('sent')
    mailer.close()
    await inbox.waitFor(1, (m) => m.messageId.startsWith(`<${cause}.`))
  })
})
