// What the rest of the box office tells the waiting list, inside its own transaction: places came back to
// some sections (serve them), an offer's reservation lapsed, was given back, or was paid.
import { and, eq, exists, inArray, notExists, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { tickets, waitlistEntries } from '../../db/schema/index.js'

/**
 * Places came back to these sections: enqueues, in the caller's transaction, a job serving each one that has
 * someone waiting (so the job exists if and only if the places came back). Serving runs in a transaction of
 * its own that locks the event and then the section, the order every box-office transaction takes them in,
 * which a freeing transaction (holding invoice or section locks already) could not.
 */
export async function placesCameBack(ctx: Ctx, tx: Db, sectionIds: number[]): Promise<void> {
  if (sectionIds.length === 0) return
  const waiting = await tx
    .selectDistinct({ sectionId: waitlistEntries.sectionId })
    .from(waitlistEntries)
    .where(
      and(
        inArray(waitlistEntries.sectionId, [...new Set(sectionIds)]),
        eq(waitlistEntries.status, 'waiting'),
      ),
    )
    .orderBy(waitlistEntries.sectionId)
  for (const { sectionId } of waiting) await ctx.jobs.send(tx, 'waitlist', { sectionId })
}

/** The offers made with these reservations lapsed unpaid: their entries are `expired`. */
export async function offersLapsed(tx: Db, reservationIds: number[]): Promise<void> {
  if (reservationIds.length === 0) return
  await tx
    .update(waitlistEntries)
    .set({ status: 'expired', updatedAt: new Date() })
    .where(and(inArray(waitlistEntries.reservationId, reservationIds), eq(waitlistEntries.status, 'offered')))
}

/**
 * A ticket of this reservation was given back while held: if it was an offer and none of its tickets is held any
 * more, the entry is `left`, as leaving the list would have made it (its places went back with the tickets).
 */
export async function offerGivenBack(tx: Db, reservationId: number): Promise<void> {
  await tx
    .update(waitlistEntries)
    .set({ status: 'left', updatedAt: new Date() })
    .where(
      and(
        eq(waitlistEntries.reservationId, reservationId),
        eq(waitlistEntries.status, 'offered'),
        notExists(
          tx
            .select({ one: sql`1` })
            .from(tickets)
            .where(
              and(eq(tickets.reservationId, reservationId), inArray(tickets.status, ['held', 'confirmed'])),
            ),
        ),
      ),
    )
}

/**
 * An invoice of this reservation was paid: an offer made with it is `converted` once the waiter's own ticket is
 * confirmed. A friend who pays their own invoice of a split offer converts nothing: the waiter's ticket is still
 * held, to pay by the offer's end, when the entry is `expired` if it was not (the friend keeps theirs).
 */
export async function offerPaid(tx: Db, reservationId: number): Promise<void> {
  await tx
    .update(waitlistEntries)
    .set({ status: 'converted', updatedAt: new Date() })
    .where(
      and(
        eq(waitlistEntries.reservationId, reservationId),
        eq(waitlistEntries.status, 'offered'),
        exists(
          tx
            .select({ one: sql`1` })
            .from(tickets)
            .where(
              and(
                eq(tickets.reservationId, reservationId),
                eq(tickets.holderId, waitlistEntries.userId),
                eq(tickets.status, 'confirmed'),
              ),
            ),
        ),
      ),
    )
}
