// The job queues: what can be enqueued (typed), the queues' retry policy, and the in-process workers.
import { randomUUID } from 'node:crypto'
import type PgBoss from 'pg-boss'
import type { Config } from '../config.js'
import type { Ctx } from '../context.js'
import type { Db } from '../db/client.js'
import type { MailJob } from '../mail/messages.js'
import type { Mailer } from '../mail/transport.js'
import { executorFor, MAIL_QUEUE, WAITLIST_QUEUE, WEBHOOK_QUEUE } from './boss.js'
import { deliverMailJob } from './mail.job.js'
import { SCHEDULED_JOBS } from './schedules.js'

/** Payload of each queue that code enqueues into (scheduled queues are fed by pg-boss's cron). */
export interface JobPayloads {
  [MAIL_QUEUE]: MailJob
  [WAITLIST_QUEUE]: { sectionId: number }
  /** Attempt number `attempt` of a webhook delivery. */
  [WEBHOOK_QUEUE]: { deliveryId: number; attempt: number }
}

export interface SendOptions {
  /** Seconds before the job may run (a scheduled retry). */
  startAfter?: number
  /** Seconds a run of this job may take before another worker gets it (default JOBS_EXPIRE). */
  expireInSeconds?: number
  /**
   * With `singletonSeconds`: a second job of the queue with the same key, sent within the same slot of that many
   * seconds, is not added (pg-boss's throttling: its unique index on name, slot and key).
   */
  singletonKey?: string
  singletonSeconds?: number
}

export interface JobQueue {
  /**
   * Enqueues a job through `db`: pass the transaction (`tx`) of the change that causes the job, and the
   * job exists if and only if that transaction commits. Returns the job id.
   */
  send<Q extends keyof JobPayloads>(
    db: Db,
    queue: Q,
    data: JobPayloads[Q],
    options?: SendOptions,
  ): Promise<string>
}

/** Retries with exponential backoff; after the last one the job stays `failed`: the dead letters. */
export function retryPolicy(config: Config) {
  return {
    retryLimit: config.JOBS_RETRY_LIMIT,
    retryDelay: config.JOBS_RETRY_DELAY,
    retryBackoff: true,
    expireInSeconds: config.JOBS_EXPIRE,
  }
}

export function createJobQueue(boss: PgBoss, config: Config): JobQueue {
  return {
    async send(db, queue, data, options = {}) {
      const id = randomUUID()
      // The policy goes with each job, so the process that enqueues decides it, whatever the queue row says.
      await boss.send(queue, data, { id, db: executorFor(db), ...retryPolicy(config), ...options })
      return id
    },
  }
}

export interface WorkerOptions {
  ctx: Ctx
  mailer: Mailer
  schedules: boolean
  /**
   * Serves a section's waiting list (modules/box-office/waitlist.serve.ts); handed in, because the box office
   * imports this module to enqueue jobs.
   */
  serveWaitlist: (ctx: Ctx, sectionId: number) => Promise<number>
  /** Makes one attempt of a webhook delivery (modules/webhooks/webhooks.deliver.ts); handed in likewise. */
  deliverWebhook: (ctx: Ctx, job: JobPayloads[typeof WEBHOOK_QUEUE]) => Promise<unknown>
}

/** Webhook attempts one process makes at once. */
const WEBHOOK_WORKERS = 4

/** Subscribes this process's workers, and keeps pg-boss's cron table equal to SCHEDULED_JOBS. */
export async function startWorkers(boss: PgBoss, config: Config, opts: WorkerOptions): Promise<void> {
  const { ctx } = opts
  const polling = { pollingIntervalSeconds: config.JOBS_POLL_INTERVAL, batchSize: 1 }
  // E-mails go in batches, sent one after the other in queue order, each job completed or failed (and so
  // retried) on its own. After a full batch the next is fetched at once: a queue that fills faster than one
  // batch per polling interval (a sale opening) drains as fast as the mail server takes it.
  const batchSize = config.JOBS_MAIL_BATCH
  const options = { ...polling, batchSize, includeMetadata: true as const }
  const mailWorker = await boss.work<MailJob>(MAIL_QUEUE, options, async (jobs) => {
    // pg-boss picks a batch oldest first but hands it over in no particular order.
    const inQueueOrder = jobs.toSorted((a, b) => a.createdOn.getTime() - b.createdOn.getTime())
    for (const job of inQueueOrder) {
      try {
        const outcome = await deliverMailJob(
          { ctx, mailer: opts.mailer },
          { id: job.id, data: job.data, expireInSeconds: expireSeconds(job, config) },
        )
        await boss.complete(MAIL_QUEUE, job.id, { outcome })
      } catch (err) {
        await boss.fail(MAIL_QUEUE, job.id, err instanceof Error ? err : { value: String(err) })
      }
    }
    if (jobs.length === batchSize) boss.notifyWorker(mailWorker)
  })
  // Each job serves one section's waiting list; two for one section at once are safe (waitlist.serve.ts).
  await boss.work<{ sectionId: number }>(WAITLIST_QUEUE, polling, async ([job]) => {
    if (job) return { offered: await opts.serveWaitlist(ctx, job.data.sectionId) }
  })
  // Each job is one attempt of one delivery; a failed attempt enqueues the next itself, with its backoff.
  // A few at once per process, so that one slow receiver (up to WEBHOOKS_TIMEOUT) does not hold up the rest.
  for (let i = 0; i < WEBHOOK_WORKERS; i++) {
    await boss.work<JobPayloads[typeof WEBHOOK_QUEUE]>(WEBHOOK_QUEUE, polling, async ([job]) => {
      if (job) return { outcome: await opts.deliverWebhook(ctx, job.data) }
    })
  }
  for (const scheduled of SCHEDULED_JOBS) {
    await boss.work(scheduled.name, polling, async () => {
      const result = await scheduled.run(ctx)
      ctx.log.info({ job: scheduled.name, result }, 'scheduled job done')
      return { result }
    })
  }
  if (!opts.schedules) return
  const wanted = new Set(SCHEDULED_JOBS.map((s) => s.name))
  for (const stale of await boss.getSchedules()) {
    if (!wanted.has(stale.name)) await boss.unschedule(stale.name)
  }
  for (const scheduled of SCHEDULED_JOBS)
    await boss.schedule(scheduled.name, scheduled.cron, {}, { tz: 'UTC' })
}

// Every fetched job carries `EXTRACT(epoch FROM expire_in)`, which pg-boss's typings leave out; numeric
// arrives as text from node-postgres.
function expireSeconds(job: PgBoss.Job<unknown>, config: Config): number {
  const value = Number((job as { expireInSeconds?: unknown }).expireInSeconds)
  return Number.isFinite(value) && value > 0 ? value : config.JOBS_EXPIRE
}
