// Queue probes for job tests: the rows pg-boss keeps in the `pgboss` schema.
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

/** A queue that hands a dead worker's job on within seconds: short expiry and retry delay (the crash tests). */
export const FAST_REDELIVERY_ENV = {
  JOBS_EXPIRE: '3',
  JOBS_RETRY_DELAY: '1',
  JOBS_RETRY_LIMIT: '5',
  JOBS_POLL_INTERVAL: '0.5',
  JOBS_MAINTENANCE_INTERVAL: '1',
}
