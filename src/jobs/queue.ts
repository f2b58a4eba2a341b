// The job queues: what can be enqueued (typed), the queues' retry policy, and the in-process workers.
import { randomUUID } from 'node:crypto'
import type PgBoss from 'pg-boss'
import type { Config } from '../config.js'
import type { Ctx } from '../context.js'
import type { Db } from '../db/client.js'
import type { MailJob } from '../mail/messages.js'
import type { Mailer } from '../mail/transport.js'
import { executorFor, MAIL_QUEUE } from './boss.js'
import { deliverMailJob } from './mail.job.js'
import { SCHEDULED_JOBS } from './schedules.js'

/** Payload of each queue that code enqueues into (scheduled queues are fed by pg-boss's cron). */
export interface JobPayloads {
  [MAIL_QUEUE]: MailJob
}

export interface JobQueue {
  /**
   * Enqueues a job through `db`: pass the transaction (`tx`) of the change that causes the job, and the
   * job exists if and only if that transaction commits. Returns the job id.
   */
  send<Q extends keyof JobPayloads>(db: Db, queue: Q, data: JobPayloads[Q]): Promise<string>
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
    async send(db, queue, data) {
      const id = randomUUID()
      // The policy goes with each job, so the process that enqueues decides it, whatever the queue row says.
      await boss.send(queue, data, { id, db: executorFor(db), ...retryPolicy(config) })
      return id
    },
  }
}

export interface WorkerOptions {
  ctx: Ctx
  mailer: Mailer
  schedules: boolean
}

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
