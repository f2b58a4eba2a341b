// Telling the people an event concerns that its start or its venue changed, inside the change's transaction.
import { and, eq } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { waitlistEntries } from '../../db/schema/index.js'
import { queueEventChanged } from '../../mail/queue.js'
import type { EventRow } from '../events/events.queries.js'
import { eventSummary } from './box-office.mail.js'
import { peopleToTell } from './cancel-event.service.js'

/**
 * `before` is the event's row as it was, `after` as it is now, both in the caller's transaction, which holds the
 * event's row FOR UPDATE (reservations in flight finish first, and none starts until it commits). When a
 * published event still to come got a new start or venue, each holder and payer of a live ticket and each person
 * waiting for places gets one message saying what it was and what it is. Nothing else a change touches is
 * told: a title or a description is on the event's page.
 */
export async function tellOfChange(ctx: Ctx, tx: Db, before: EventRow, after: EventRow): Promise<void> {
  if (after.status !== 'published' || after.startsAt.getTime() <= Date.now()) return
  const was = {
    ...(after.startsAt.getTime() === before.startsAt.getTime()
      ? {}
      : { startsAt: before.startsAt.toISOString() }),
    ...(after.venue === before.venue ? {} : { venue: before.venue }),
  }
  if (was.startsAt === undefined && was.venue === undefined) return
  const told = await peopleToTell(tx, after.id)
  const waiting = await tx
    .selectDistinct({ userId: waitlistEntries.userId })
    .from(waitlistEntries)
    .where(and(eq(waitlistEntries.eventId, after.id), eq(waitlistEntries.status, 'waiting')))
  const waits = new Set(waiting.map((w) => w.userId))
  for (const userId of [...new Set([...told.keys(), ...waits])].sort((a, b) => a - b)) {
    await queueEventChanged(tx, ctx, {
      userId,
      event: eventSummary(after),
      was,
      ticketCount: told.get(userId)?.tickets.size ?? 0,
      waiting: waits.has(userId),
    })
  }
}
