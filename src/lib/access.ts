// The one rule for who manages an event (changes it, sees its drafts, its sales and everyone's tickets and
// invoices in it): its organizer, or an admin. The role is read from the database for each request.
import type { Actor } from '../context.js'

export function managesEvent(actor: Actor | null, event: { organizerId: number | null }): boolean {
  return (
    actor !== null &&
    (actor.role === 'admin' || (event.organizerId !== null && event.organizerId === actor.id))
  )
}
