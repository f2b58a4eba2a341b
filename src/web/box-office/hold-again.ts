// A lapsed hold's choices, to fill the event page's form in again (on expiry the buyer keeps what they chose).
import type { Ctx } from '../../context.js'
import { AppError } from '../../lib/errors.js'
import { getReservation } from '../../modules/box-office/view.service.js'
import type { ReserveValues } from '../events/reserve-form.js'
import { wholeNumberOf } from '../page.js'
import type { WebUser } from '../session.js'

/**
 * What the buyer chose in a hold of theirs for this event (`/events/{id}?again={reservation}`, where a lapsed
 * checkout sends them): the section, how many, the seats, the friends, whether each pays. Undefined for anyone
 * but its booker, another event's reservation or a malformed id, so the page simply shows the blank form.
 */
export async function valuesOfHold(
  ctx: Ctx,
  user: WebUser | null,
  eventId: number,
  again: unknown,
): Promise<ReserveValues | undefined> {
  const id = wholeNumberOf(again)
  if (!user || id === undefined) return undefined
  const reservation = await getReservation(ctx, user, id).catch((err: unknown) => {
    if (err instanceof AppError && err.status === 404) return null
    throw err
  })
  const first = reservation?.tickets[0]
  if (!reservation || !first || reservation.event_id !== eventId) return undefined
  if (!reservation.tickets.every((t) => t.booker?.id === user.id)) return undefined
  const others = reservation.tickets.flatMap((t) =>
    t.holder && t.holder.id !== user.id ? [t.holder.id] : [],
  )
  return {
    section_id: String(first.section.id),
    quantity: String(reservation.tickets.length),
    seat_ids: reservation.tickets.flatMap((t) => (t.seat ? [String(t.seat.id)] : [])),
    together: true,
    attendee_ids: others.map(String),
    split_payment: reservation.invoices.length > 1,
  }
}
