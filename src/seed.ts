// Demo data for a newcomer: people who are friends, events with the usual sections (one nearly sold out, one sold
// out, one cancelled, one draft), a group booking paid in two invoices, posts with comments and likes, messages.
// Everything goes through the services the API uses. A second run adds nothing.
import { eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from './context.js'
import { users } from './db/schema/index.js'
import { register } from './modules/auth/auth.service.js'
import { cancelEvent } from './modules/box-office/cancel-event.service.js'
import { payInvoice } from './modules/box-office/pay.service.js'
import { reserve } from './modules/box-office/reserve.service.js'
import { createEvent, publishEvent } from './modules/events/events.service.js'
import { acceptFriendRequest, sendFriendRequest } from './modules/friends/friends.service.js'
import { sendMessage } from './modules/messages/messages.service.js'
import { createComment } from './modules/posts/comments.service.js'
import { createPost, likePost } from './modules/posts/posts.service.js'
import { setRole } from './modules/users/users.service.js'

export const DEMO_PASSWORD = 'stagedoor-demo-2026'

const PEOPLE = [
  ['alice', 'Alice Archer'],
  ['bob', 'Bob Baker'],
  ['carol', 'Carol Chen'],
  ['tommy', 'Tommy Tran'],
  ['amy', 'Amy Adams'],
  ['sammy', 'Sammy Singh'],
] as const
type Person = (typeof PEOPLE)[number][0]

const FRIENDS: [Person, Person][] = [
  ['alice', 'bob'],
  ['alice', 'carol'],
  ['bob', 'carol'],
  ['tommy', 'amy'],
  ['alice', 'tommy'],
]

/** The usual sections, front (VIP) to back (General Admission). */
const USUAL_SECTIONS = [
  { name: 'VIP', kind: 'seated' as const, rows: 2, seats_per_row: 10, price_cents: 25_000 },
  { name: 'A', kind: 'seated' as const, rows: 5, seats_per_row: 20, price_cents: 12_000 },
  { name: 'B', kind: 'seated' as const, rows: 8, seats_per_row: 20, price_cents: 8_500 },
  { name: 'C', kind: 'seated' as const, rows: 10, seats_per_row: 24, price_cents: 6_000 },
  { name: 'General Admission', kind: 'general' as const, capacity: 500, price_cents: 4_500 },
]

const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString()

export async function seed(ctx: Ctx): Promise<void> {
  // Demo accounts share one printed password: never in a production database.
  if (ctx.config.NODE_ENV === 'production') {
    throw new Error(
      'stagedoor seed refuses to run with NODE_ENV=production (demo accounts share a known password)',
    )
  }
  const [existing] = await ctx.db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.username})`, 'alice'))
  if (existing) {
    console.log('demo data is already there (user alice exists); nothing to do')
    return
  }

  // Services take an actor as the auth plugin would build it; the seed acts as each person in turn.
  const people = new Map<Person, Actor>()
  for (const [username, displayName] of PEOPLE) {
    const { user } = await register(ctx, {
      email: `${username}@example.com`,
      username,
      password: DEMO_PASSWORD,
      display_name: displayName,
    })
    people.set(username, { id: user.id, role: 'user', sessionId: 'seed', jti: 'seed', fresh: true, exp: 0 })
  }
  const as = (p: Person) => people.get(p)!
  await setRole(ctx, as('alice').id, 'admin')
  as('alice').role = 'admin'

  for (const [from, to] of FRIENDS) {
    const request = await sendFriendRequest(ctx, as(from), as(to).id)
    await acceptFriendRequest(ctx, as(to), request.id)
  }

  // An event created and published by `who`.
  const published = async (who: Person, input: Parameters<typeof createEvent>[2]) => {
    const event = await createEvent(ctx, as(who), input)
    await publishEvent(ctx, as(who), event.id)
    return event
  }

  const orchestra = await published('alice', {
    title: 'Midnight Orchestra: Film Scores Live',
    description: 'A full orchestra plays the great film scores under the city lights.',
    venue: 'Town Hall',
    starts_at: days(30),
    ends_at: days(30.1),
    currency: 'AUD',
    max_tickets_per_user: 8,
    sections: USUAL_SECTIONS,
  })
  const indie = await published('tommy', {
    title: 'Indie Night at the Warehouse',
    venue: 'The Warehouse',
    starts_at: days(12),
    currency: 'AUD',
    sections: [{ name: 'General Admission', kind: 'general', capacity: 300, price_cents: 3_500 }],
  })
  await createEvent(ctx, as('tommy'), {
    title: 'Secret Rooftop Session (draft)',
    venue: 'Rooftop',
    starts_at: days(60),
    sections: [{ name: 'General Admission', kind: 'general', capacity: 80, price_cents: 2_000 }],
  })

  // Tickets bought and paid by `who`, in one reservation per eight.
  const buy = async (who: Person, eventId: number, sectionId: number, quantity: number) => {
    for (let left = quantity; left > 0; left -= 8) {
      const made = await reserve(ctx, { actor: as(who) }, eventId, {
        section_id: sectionId,
        quantity: Math.min(8, left),
      })
      for (const invoice of made.invoices) {
        await payInvoice(ctx, as(who), invoice.id, { payment_method: 'test_ok' })
      }
    }
  }

  // Nearly sold out: 26 of 30 places sold, "Only 4 left".
  const comedy = await published('amy', {
    title: 'Late Laughs: Stand-up Showcase',
    description: 'Five comedians, one small room, and a very late bar.',
    venue: 'The Basement Club',
    starts_at: days(9),
    currency: 'AUD',
    sections: [{ name: 'General Admission', kind: 'general', capacity: 30, price_cents: 2_800 }],
  })
  const comedyRoom = comedy.sections[0]!.id
  await buy('sammy', comedy.id, comedyRoom, 10)
  await buy('tommy', comedy.id, comedyRoom, 8)
  await buy('carol', comedy.id, comedyRoom, 8)

  // Sold out: every seat of a small seated room is paid for.
  const quartet = await published('amy', {
    title: 'String Quartet in the Library',
    description: 'Haydn and Ravel among the books, two rows of chairs only.',
    venue: 'State Library Reading Room',
    starts_at: days(20),
    currency: 'AUD',
    sections: [{ name: 'Reading Room', kind: 'seated', rows: 2, seats_per_row: 6, price_cents: 5_500 }],
  })
  await buy('sammy', quartet.id, quartet.sections[0]!.id, 6)
  await buy('amy', quartet.id, quartet.sections[0]!.id, 6)

  // Cancelled after a sale: the ticket shows as cancelled and its invoice as refunded.
  const picnic = await published('tommy', {
    title: 'Open-air Jazz Picnic',
    description: 'Rained off this year: see you next summer.',
    venue: 'Botanic Gardens Lawn',
    starts_at: days(15),
    currency: 'AUD',
    sections: [{ name: 'Lawn', kind: 'general', capacity: 200, price_cents: 1_500 }],
  })
  await buy('alice', picnic.id, picnic.sections[0]!.id, 2)
  await cancelEvent(ctx, as('tommy'), picnic.id)

  // Bob books two adjacent A seats for himself and Carol; each pays their own invoice. Bob pays now.
  const sectionA = orchestra.sections.find((s) => s.name === 'A')!
  const booking = await reserve(ctx, { actor: as('bob') }, orchestra.id, {
    section_id: sectionA.id,
    quantity: 2,
    together: true,
    attendee_ids: [as('carol').id],
    split_payment: true,
  })
  const bobsInvoice = booking.invoices.find((i) => i.payer?.id === as('bob').id)
  if (bobsInvoice) await payInvoice(ctx, as('bob'), bobsInvoice.id, { payment_method: 'test_ok' })

  const post = await createPost(ctx, as('alice'), {
    body: 'Tickets for Midnight Orchestra are on sale: VIP rows are right at the stage!',
    event_id: orchestra.id,
  })
  await createComment(ctx, as('bob'), post.id, 'Carol and I got seats together in A. Can not wait!')
  for (const p of ['bob', 'carol', 'tommy'] as const) await likePost(ctx, as(p), post.id)
  await createPost(ctx, as('carol'), { body: 'Sharing this one with everyone.', shared_post_id: post.id })
  await createPost(ctx, as('tommy'), { body: 'Indie Night is back. Who is coming?', event_id: indie.id })
  await createPost(ctx, as('amy'), {
    body: 'Only a handful of seats left for Late Laughs. The quartet sold out in a day!',
    event_id: comedy.id,
  })
  await createPost(ctx, as('tommy'), {
    body: 'Sorry everyone, the jazz picnic is cancelled: refunds are on their way.',
    event_id: picnic.id,
  })
  await sendMessage(ctx, as('bob'), as('carol').id, 'I paid my ticket; yours is waiting in your invoices.')
  await sendMessage(ctx, as('carol'), as('bob').id, 'Paying it now, thanks!')

  console.log(
    `seeded ${PEOPLE.length} users (password "${DEMO_PASSWORD}"; alice is an admin), ${FRIENDS.length} friendships, ` +
      '6 events (one nearly sold out, one sold out, one cancelled, one draft), a split-payment booking, posts, ' +
      'a comment, likes and messages',
  )
}
