// Recurring jobs: one line each. pg-boss fires them by cron (UTC, minute precision) from whichever worker
// process holds its clock, and a queue of the same name runs `run(ctx)`, one run at a time.
import type { Ctx } from '../context.js'
import { expireStaleHolds } from '../modules/box-office/expire-holds.service.js'
import { purgeExpiredTokens, purgeIdempotencyKeys, purgeMailLog } from './maintenance.js'

export interface ScheduledJob {
  /** Queue name: letters, digits and underscores. */
  name: string
  cron: string
  run: (ctx: Ctx) => Promise<unknown>
}

export const SCHEDULED_JOBS: readonly ScheduledJob[] = [
  // Every minute, cron's finest grain. Reservations never wait for it (they expire their section's lapsed
  // holds themselves, and every view shows a lapsed hold as expired), nor does the waiting list (a job armed for
  // the due time of a section's next hold serves it: waitlist.serve.ts, armNextLapse), so the sweep only tidies
  // up: it gives the counters back and tells the booker.
  { name: 'expire_stale_holds', cron: '* * * * *', run: expireStaleHolds },
  { name: 'purge_expired_tokens', cron: '7 * * * *', run: purgeExpiredTokens },
  { name: 'purge_idempotency_keys', cron: '37 * * * *', run: purgeIdempotencyKeys },
  { name: 'purge_mail_log', cron: '47 3 * * *', run: purgeMailLog },
]
