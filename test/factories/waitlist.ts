// Waiting-list and voucher test helpers: joining through the API, and running the waiting-list jobs that a
// test app (no in-process workers) leaves in the queue, as a worker would.
import { eq, sql } from 'drizzle-orm'
import { waitlistEntries } from '../../src/db/schema/index.js'
import { serveWaitlist } from '../../src/modules/box-office/waitlist.serve.js'
import type { App } from '../helpers.js'
import { lapseReservation } from './boxoffice.js'

type Headers = Record<string, string>

/** POST /events/{id}/waitlist as `user`. */
export function joinAs(app: App, user: { auth: Headers }, eventId: number, body: object) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/events/${eventId}/waitlist`,
    headers: user.auth,
    payload: body,
  })
}

/**
 * The waiting-list jobs enqueued, due and not yet run: the section of each. (A job armed for the due time of a
 * hold still to lapse is not due yet: see armedWaitlistJobs.)
 */
export async function pendingWaitlistJobs(app: App): Promise<number[]> {
  const result = (await app.ctx.db.execute(
    sql`select (data->>'sectionId')::int as section_id from pgboss.job
        where name = 'waitlist' and state = 'created' and start_after <= now() order by created_on`,
  )) as unknown as { rows: { section_id: number }[] }
  return result.rows.map((r) => r.section_id)
}

/** The waiting-list jobs armed for later (start_after in the future): the section and start time of each. */
export async function armedWaitlistJobs(app: App): Promise<{ sectionId: number; startAfter: string }[]> {
  const result = (await app.ctx.db.execute(
    sql`select (data->>'sectionId')::int as section_id, start_after from pgboss.job
        where name = 'waitlist' and state = 'created' and start_after > now() order by start_after`,
  )) as unknown as { rows: { section_id: number; start_after: Date | string }[] }
  return result.rows.map((r) => ({
    sectionId: r.section_id,
    startAfter: new Date(r.start_after).toISOString(),
  }))
}

/** Runs the due waiting-list jobs as a worker would (each job serves its section); returns the offers made. */
export async function runWaitlistJobs(app: App): Promise<number> {
  const sectionIds = await pendingWaitlistJobs(app)
  await app.ctx.db.execute(
    sql`update pgboss.job set state = 'completed', completed_on = now()
        where name = 'waitlist' and state = 'created' and start_after <= now()`,
  )
  let offered = 0
  for (const id of sectionIds) offered += await serveWaitlist(app.ctx, id)
  return offered
}

/** Moves a waiting-list offer (its entry and its reservation) into the past, as if WAITLIST_OFFER_TTL had run out. */
export async function lapseOffer(app: App, entryId: number): Promise<void> {
  const [entry] = await app.ctx.db
    .update(waitlistEntries)
    .set({ offerExpiresAt: new Date(Date.now() - 1000) })
    .where(eq(waitlistEntries.id, entryId))
    .returning()
  await lapseReservation(app, entry!.reservationId!)
}
