// The events a member's list rows name (their waiting-list entries, their invoices), each read once: null for
// an event the member may no longer see (unpublished since), whose rows are still listed.
import type { Actor, Ctx } from '../../context.js'
import { AppError } from '../../lib/errors.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEvent } from '../../modules/events/events.service.js'

export async function seenEvents(ctx: Ctx, actor: Actor, ids: number[]): Promise<Map<number, EventT | null>> {
  // Read side by side (a page lists at most a few dozen events, most of them in the catalogue's cache).
  const distinct = [...new Set(ids)]
  const read = await Promise.all(
    distinct.map((id) =>
      getEvent(ctx, actor, id).catch((err: unknown) => {
        if (err instanceof AppError && err.status === 404) return null
        throw err
      }),
    ),
  )
  return new Map(distinct.map((id, i) => [id, read[i] ?? null]))
}

/** What a row says of an event it may no longer show. */
export const UNSHOWN_EVENT = 'An event no longer shown'
