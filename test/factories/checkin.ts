// Check-in test helpers: a confirmed ticket bought through the API, its code as its holder sees it, and the
// door's calls.
import type { App, TestUser } from '../helpers.js'
import { payAs, reserveAs } from './boxoffice.js'

type Headers = Record<string, string>

/** Reserves one ticket in the event's first section as `buyer` and pays it; the ticket as the API answers. */
export async function confirmedTicket(
  app: App,
  buyer: TestUser,
  event: { id: number; sections: { id: number }[] },
) {
  const res = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })
  if (res.statusCode !== 201) throw new Error(`reserve failed: ${res.statusCode} ${res.body}`)
  const reservation = res.json()
  const paid = await payAs(app, buyer, reservation.invoices[0].id)
  if (paid.statusCode !== 200) throw new Error(`pay failed: ${paid.statusCode} ${paid.body}`)
  return reservation.tickets[0] as { id: number }
}

/** The ticket's code as GET /tickets/{id} shows it to `user` (undefined when it shows none). */
export async function codeOf(
  app: App,
  user: { auth: Headers },
  ticketId: number,
): Promise<string | undefined> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/tickets/${ticketId}`, headers: user.auth })
  if (res.statusCode !== 200) throw new Error(`ticket failed: ${res.statusCode} ${res.body}`)
  return res.json().code
}

/** POST /events/{id}/check-ins as `user`. */
export function checkInAs(app: App, user: { auth: Headers }, eventId: number, code: string) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/events/${eventId}/check-ins`,
    headers: user.auth,
    payload: { code },
  })
}

/** POST /events/{id}/staff as `user`. */
export function addStaffAs(app: App, user: { auth: Headers }, eventId: number, userId: number) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/events/${eventId}/staff`,
    headers: user.auth,
    payload: { user_id: userId },
  })
}
