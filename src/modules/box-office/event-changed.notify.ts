// Telling the people an event concerns that its start or its venue changed, inside the change's transaction.
import { and, eq } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { waitlistEntries } from '../../db/schema/index.js'
import type { EventChangedMail } from '../../mail/messages.js'
import { queueEventChanged } from '../../mail/queue.js'
import type { EventRow } from '../events/events.queries.js'
import { eventSummary, liveTicketsOf } from './box-office.mail.js'

/** What one person is told: their paid tickets, their held ones (and when the earliest hold lapses), waiting. */
interface Concerned {
  paid: Set<number>
  held: Set<number>
  heldUntil?: Date
  waiting: boolean
}

/**
 * `before` is the event's row as it was, `after` as it is now, both in the caller's transaction, which holds the
 * event's row FOR UPDATE (reservations in flight finish first, and none starts until it commits). When a
 * published event still to come got a new start or venue, each holder and payer of a live ticket (paid, or held
 * and not lapsed) and each person waiting for places gets one message saying what it was and what it is; the
 * person who made the change is not told of it. A title or a description is on the event's page, and tells no
 * one.
 */
export async function tellOfChange(
  ctx: Ctx,
  tx: Db,
  changedBy: number,
  before: EventRow,
  after: EventRow,
): Promise<void> {
  if (after.status !== 'published' || after.startsAt.getTime() <= Date.now()) return
  const moved = after.startsAt.getTime() !== before.startsAt.getTime()
  const was: EventChangedMail['was'] = {
    // The start people were told, on the clock they were told it on.
    ...(moved ? { startsAt: before.startsAt.toISOString(), timezone: before.timezone } : {}),
    ...(after.venue === before.venue ? {} : { venue: before.venue }),
  }
  if (was.startsAt === undefined && was.venue === undefined) return

  const people = new Map<number, Concerned>()
  const person = (userId: number) => {
    let p = people.get(userId)
    if (!p) {
      p = { paid: new Set(), held: new Set(), waiting: false }
      people.set(userId, p)
    }
    return p
  }
  const live = await liveTicketsOf(tx, after.id)
  for (const t of live) {
    // A deleted account (set null) has no one to tell.
    for (const userId of new Set([t.holderId, t.payerId])) {
      if (userId === null) continue
      const p = person(userId)
      if (t.status === 'confirmed') p.paid.add(t.id)
      else {
        p.held.add(t.id)
        if (!p.heldUntil || t.expiresAt < p.heldUntil) p.heldUntil = t.expiresAt
      }
    }
  }
  const waiting = await tx
    .selectDistinct({ userId: waitlistEntries.userId })
    .from(waitlistEntries)
    .where(and(eq(waitlistEntries.eventId, after.id), eq(waitlistEntries.status, 'waiting')))
  for (const { userId } of waiting) person(userId).waiting = true

  for (const userId of [...people.keys()].sort((a, b) => a - b)) {
    if (userId === changedBy) continue
    const p = people.get(userId)!
    await queueEventChanged(tx, ctx, {
      userId,
      event: eventSummary(after),
      was,
      ticketCount: p.paid.size,
      heldCount: p.held.size,
      ...(p.heldUntil ? { heldUntil: p.heldUntil.toISOString() } : {}),
      waiting: p.waiting,
    })
  }
}
