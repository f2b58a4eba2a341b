// The `mail` job: compose, render and send one message, exactly once per job however often it is delivered.
import { setTimeout as sleep } from 'node:timers/promises'
import { and, eq, sql } from 'drizzle-orm'
import type { Ctx } from '../context.js'
import type { Db } from '../db/client.js'
import { mailDeliveries } from '../db/schema/index.js'
import { composeMail, type MailJob } from '../mail/messages.js'
import { renderMail } from '../mail/render.js'
import type { Mailer } from '../mail/transport.js'

export interface MailWorkerDeps {
  ctx: Ctx
  mailer: Mailer
}

export interface MailJobInput {
  id: string
  data: MailJob
  /** How long pg-boss lets this attempt run before handing the job to another worker. */
  expireInSeconds: number
}

export type MailOutcome = 'sent' | 'skipped' | 'already-done'

/**
 * pg-boss delivers a job at least once (a worker can die after sending and before completing it), so
 * the sent-log in `mail_deliveries`, keyed by the job id, is checked before sending and written after.
 * The claim row also keeps two live workers from sending the same job at once: a claim expires with the
 * job, so only a dead worker's claim is ever taken over.
 *
 * What no sent-log can close: a crash in the milliseconds between the SMTP server accepting the message
 * and the `sent` row being written. The retry then sends again, with the same Message-ID.
 */
export async function deliverMailJob(deps: MailWorkerDeps, job: MailJobInput): Promise<MailOutcome> {
  const { ctx, mailer } = deps
  const dedupe = !(ctx.config.NODE_ENV === 'test' && ctx.config.TEST_MAIL_DEDUPE_OFF)
  if (dedupe) {
    const claim = await claimDelivery(ctx.db, job.id, job.data.kind, Math.max(1, job.expireInSeconds))
    if (claim === 'done') {
      ctx.log.info({ job: job.id, kind: job.data.kind }, 'mail already sent for this job; not sending again')
      return 'already-done'
    }
    // Thrown, so pg-boss retries later: by then the other attempt has finished or its claim has run out.
    if (claim === 'busy') throw new Error(`mail job ${job.id} is being sent by another worker`)
  }

  let sent = false
  try {
    const composed = await composeMail(ctx, job.data)
    if (!composed) {
      if (dedupe) await finishDelivery(ctx.db, job.id, { status: 'skipped' })
      return 'skipped'
    }
    const rendered = renderMail(composed.template, composed.subject, composed.vars, ctx.config.PUBLIC_URL)
    const messageId = `<${job.id}.${job.data.kind}@${new URL(ctx.config.PUBLIC_URL).hostname}>`

    await testPause(ctx, 'before-send')
    await mailer.send({
      to: composed.to,
      cause: job.id,
      messageId,
      ...rendered,
      ...(composed.attachments ? { attachments: composed.attachments } : {}),
    })
    sent = true
    if (dedupe) await finishDelivery(ctx.db, job.id, { status: 'sent', recipient: composed.to, messageId })
  } catch (err) {
    // Not sent (SMTP refused, template error …): give the claim up so pg-boss's retry can send at once.
    // After a successful send the claim stays, and a retry waits for it rather than risk a second copy.
    if (dedupe && !sent) await releaseClaim(ctx.db, job.id).catch(() => {})
    throw err
  }
  await testPause(ctx, 'after-send')
  return 'sent'
}

async function claimDelivery(
  db: Db,
  cause: string,
  kind: string,
  leaseSeconds: number,
): Promise<'claimed' | 'done' | 'busy'> {
  const claimedUntil = sql`now() + make_interval(secs => ${leaseSeconds})`
  const claimed = await db
    .insert(mailDeliveries)
    .values({ cause, kind, status: 'sending', claimedUntil })
    .onConflictDoUpdate({
      target: mailDeliveries.cause,
      set: { claimedUntil },
      setWhere: sql`${mailDeliveries.status} = 'sending' and ${mailDeliveries.claimedUntil} < now()`,
    })
    .returning({ cause: mailDeliveries.cause })
  if (claimed.length === 1) return 'claimed'
  const [row] = await db
    .select({ status: mailDeliveries.status })
    .from(mailDeliveries)
    .where(eq(mailDeliveries.cause, cause))
  return row?.status === 'sending' ? 'busy' : 'done'
}

async function finishDelivery(
  db: Db,
  cause: string,
  outcome: { status: 'sent' | 'skipped'; recipient?: string; messageId?: string },
): Promise<void> {
  await db
    .update(mailDeliveries)
    .set({ ...outcome, finishedAt: new Date() })
    .where(eq(mailDeliveries.cause, cause))
}

async function releaseClaim(db: Db, cause: string): Promise<void> {
  await db
    .update(mailDeliveries)
    .set({ claimedUntil: sql`now()` })
    .where(and(eq(mailDeliveries.cause, cause), eq(mailDeliveries.status, 'sending')))
}

/** Test-only fault injection (TEST_MAIL_PAUSE, honoured with NODE_ENV=test): a window to kill the worker in. */
async function testPause(ctx: Ctx, where: 'before-send' | 'after-send'): Promise<void> {
  const knob = ctx.config.NODE_ENV === 'test' ? ctx.config.TEST_MAIL_PAUSE : undefined
  if (!knob?.startsWith(`${where}:`)) return
  const ms = Number(knob.slice(where.length + 1))
  ctx.log.warn({ pause: where, ms }, 'test pause in mail job')
  await sleep(ms)
}
