// Operator views of the queue: the dead letters (jobs that failed every retry) and putting one back.
import { sql } from 'drizzle-orm'
import PgBoss from 'pg-boss'
import type { Database } from '../db/client.js'
import { BOSS_SCHEMA, bossDbFor } from './boss.js'

export interface FailedJob {
  id: string
  queue: string
  /** For mail jobs, which message; never the payload itself (addresses are personal data). */
  kind: string | null
  attempts: number
  createdOn: Date
  failedOn: Date | null
  error: string | null
}

export async function listFailedJobs(database: Database, limit = 100): Promise<FailedJob[]> {
  const result = (await database.db.execute(sql`
    select id::text, name as queue, data->>'kind' as kind, retry_count + 1 as attempts,
           created_on as "createdOn", completed_on as "failedOn", output->>'message' as error
    from ${sql.raw(BOSS_SCHEMA)}.job
    where state = 'failed'
    order by completed_on desc nulls last
    limit ${limit}`)) as unknown as { rows: FailedJob[] }
  return result.rows.map((r) => ({
    ...r,
    attempts: Number(r.attempts),
    createdOn: new Date(r.createdOn),
    failedOn: r.failedOn ? new Date(r.failedOn) : null,
  }))
}

/** Gives a failed job one more attempt. Returns false when no failed job has that id. */
export async function retryFailedJob(database: Database, id: string): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false
  const found = (await database.db.execute(
    sql`select name from ${sql.raw(BOSS_SCHEMA)}.job where id = ${id}::uuid and state = 'failed'`,
  )) as unknown as { rows: { name: string }[] }
  const name = found.rows[0]?.name
  if (!name) return false
  // Through pg-boss itself, so the retry means what pg-boss means by it (one more attempt allowed).
  const db = bossDbFor(database)
  const boss = new PgBoss({ db, schema: BOSS_SCHEMA })
  await boss.retry(name, id)
  await db.drain()
  return true
}
