// Queue probes for job tests: the rows pg-boss keeps in the `pgboss` schema.
import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'drizzle-orm'
import type { App } from '../helpers.js'

export interface JobRow {
  id: string
  name: string
  state: string
  retry_count: number
  kind: string | null
}

export async function jobRows(app: App, where = sql`true`): Promise<JobRow[]> {
  const result = (await app.ctx.db.execute(
    sql`select id::text, name, state::text, retry_count, data->>'kind' as kind from pgboss.job where ${where} order by created_on`,
  )) as unknown as { rows: JobRow[] }
  return result.rows
}

export async function mailJobs(app: App): Promise<JobRow[]> {
  return jobRows(app, sql`name = 'mail'`)
}

const OPEN_STATES = new Set(['created', 'retry', 'active'])

/**
 * Waits until every mail job queued so far has finished: sent, dropped, or failed for good. A job is marked
 * done only after its message was handed to the mail server, so the inbox then holds every message the jobs
 * will ever send, and a count of them is final (no waiting "a little longer" for an extra copy).
 */
export async function mailSettled(app: App, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const open = (await mailJobs(app)).filter((job) => OPEN_STATES.has(job.state))
    if (open.length === 0) return
    if (Date.now() > deadline)
      throw new Error(`mail jobs still open after ${timeoutMs} ms: ${JSON.stringify(open)}`)
    await sleep(50)
  }
}

/** A queue that hands a dead worker's job on within seconds: short expiry and retry delay (the crash tests). */
export const FAST_REDELIVERY_ENV = {
  JOBS_EXPIRE: '3',
  JOBS_RETRY_DELAY: '1',
  JOBS_RETRY_LIMIT: '5',
  JOBS_POLL_INTERVAL: '0.5',
  JOBS_MAINTENANCE_INTERVAL: '1',
}
