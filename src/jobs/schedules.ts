// Recurring jobs: one line each. pg-boss fires them by cron (UTC, minute precision) from whichever worker
// process holds its clock, and a queue of the same name runs `run(ctx)`, one run at a time.
import type { Ctx } from '../context.js'
import { purgeExpiredTokens, purgeIdempotencyKeys, purgeMailLog } from './maintenance.js'

export interface ScheduledJob {
  /** Queue name: letters, digits and underscores. */
  name: string
  cron: string
  run: (ctx: Ctx) => Promise<unknown>
}

export const SCHEDULED_JOBS: readonly ScheduledJob[] = [
  { name: 'purge_expired_tokens', cron: '7 * * * *', run: purgeExpiredTokens },
  { name: 'purge_idempotency_keys', cron: '37 * * * *', run: purgeIdempotencyKeys },
  { name: 'purge_mail_log', cron: '47 3 * * *', run: purgeMailLog },
]
