// The events a member's list rows name (their waiting-list entries, their invoices), each read once: null for
// an event the member may no longer see (unpublished since), whose rows are still listed.
import type { Actor, Ctx } from '../../context.js'
import { AppError } from '../../lib/errors.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEvent } from '../../modules/events/events.service.js'

export async function seenEvents(ctx: Ctx, actor: Actor, ids: number[]): Promise<Map<number, EventT | null>> {
  const events = new Map<number, EventT | null>()
  for (const id of ids) {
    if (events.has(id)) continue
    events.set(
      id,
      await getEvent(ctx, actor, id).catch((err: unknown) => {
        if (err instanceof AppError && err.status === 404) return null
        throw err
      }),
    )
  }
  return events
}

/** What a row says of an event it may no longer show. */
export const UNSHOWN_EVENT = 'An event no longer shown'
