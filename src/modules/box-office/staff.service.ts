// Door staff: the users an organizer names for one event, who may check its tickets in and read its check-in
// key and list, and nothing more. The one rule for who works an event's door is here (eventForDoor).
import { and, asc, count, eq, exists, gt, ne, or, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import { eventStaff, events, users } from '../../db/schema/index.js'
import { managesEvent } from '../../lib/access.js'
import { AppError, forbidden, notFound } from '../../lib/errors.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { queueStaffAdded } from '../../mail/queue.js'
import { canSee, type EventRow, eventForChange, eventRow } from '../events/events.queries.js'
import { profileColumns, toPublicUser } from '../users/users.schemas.js'
import { eventSummary } from './box-office.mail.js'
import type { StaffMemberT } from './checkin.schemas.js'

export async function isStaff(db: Db, eventId: number, userId: number): Promise<boolean> {
  const [row] = await db
    .select({ n: count() })
    .from(eventStaff)
    .where(and(eq(eventStaff.eventId, eventId), eq(eventStaff.userId, userId)))
  return (row?.n ?? 0) > 0
}

/**
 * The event, for someone who works its door: its organizer, an admin, or its staff. 404 when they may not see
 * the event at all, 403 when they may see it but not work its door.
 */
export async function eventForDoor(db: Db, actor: Actor, eventId: number): Promise<EventRow> {
  const event = await eventRow(db, eventId)
  if (!event) throw notFound('Event')
  if (managesEvent(actor, event) || (await isStaff(db, eventId, actor.id))) return event
  if (!canSee(actor, event)) throw notFound('Event')
  throw forbidden('Only the organizer, an admin or the event staff may check tickets in')
}

export async function addStaff(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  userId: number,
): Promise<StaffMemberT> {
  const event = await eventForChange(ctx.db, actor, eventId)
  const [user] = await ctx.db.select(profileColumns(users)).from(users).where(eq(users.id, userId))
  if (!user) throw notFound('User')
  // The organizer works the door already: a staff row for them would only be listed, and confuse.
  if (userId === event.organizerId) {
    throw new AppError('ALREADY_STAFF', 'The organizer checks tickets in already: no need to add them')
  }
  try {
    // The new member is told in the same transaction: an addition that rolls back mails no one.
    const row = await ctx.db.transaction(async (tx) => {
      const [added] = await tx.insert(eventStaff).values({ eventId, userId }).returning()
      const [by] = await tx.select({ name: users.displayName }).from(users).where(eq(users.id, actor.id))
      await queueStaffAdded(tx, ctx, {
        userId,
        byName: by?.name ?? 'The organizer',
        event: eventSummary(event),
      })
      return added!
    })
    return { user: toPublicUser(ctx.config, user), added_at: row.createdAt.toISOString() }
  } catch (err) {
    if (uniqueViolation(err) !== undefined) {
      throw new AppError('ALREADY_STAFF', 'This user is already staff of this event')
    }
    throw err
  }
}

export async function removeStaff(ctx: Ctx, actor: Actor, eventId: number, userId: number): Promise<void> {
  await eventForChange(ctx.db, actor, eventId)
  const removed = await ctx.db
    .delete(eventStaff)
    .where(and(eq(eventStaff.eventId, eventId), eq(eventStaff.userId, userId)))
    .returning({ userId: eventStaff.userId })
  if (removed.length === 0) throw notFound('Staff member')
}

export async function listStaff(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  page: PageParams,
): Promise<Page<StaffMemberT>> {
  await eventForChange(ctx.db, actor, eventId)
  const { rows, total } = await preparedPage(ctx.db, 'event_staff', page, { event: eventId }, (d) => {
    const ofEvent = eq(eventStaff.eventId, sql.placeholder('event'))
    return {
      rows: d
        .select({ user: profileColumns(users), addedAt: eventStaff.createdAt })
        .from(eventStaff)
        .innerJoin(users, eq(users.id, eventStaff.userId))
        .where(ofEvent)
        .orderBy(asc(eventStaff.createdAt), asc(eventStaff.userId))
        .$dynamic(),
      total: d.select({ n: count() }).from(eventStaff).where(ofEvent).$dynamic(),
    }
  })
  return toPage(
    rows.map((r) => ({ user: toPublicUser(ctx.config, r.user), added_at: r.addedAt.toISOString() })),
    total[0]?.n ?? 0,
    page,
  )
}

/**
 * The events whose door `actor` works (they organize it or are its staff), not cancelled, from a day before
 * their start on, soonest first: what the check-in page offers.
 */
export async function doorEvents(
  ctx: Ctx,
  actor: Actor,
): Promise<{ id: number; title: string; venue: string; startsAt: Date; timezone: string }[]> {
  return ctx.db
    .select({
      id: events.id,
      title: events.title,
      venue: events.venue,
      startsAt: events.startsAt,
      timezone: events.timezone,
    })
    .from(events)
    .where(
      and(
        ne(events.status, 'cancelled'),
        gt(events.startsAt, sql`now() - interval '1 day'`),
        or(
          eq(events.organizerId, actor.id),
          exists(
            ctx.db
              .select({ one: sql`1` })
              .from(eventStaff)
              .where(and(eq(eventStaff.eventId, events.id), eq(eventStaff.userId, actor.id))),
          ),
        ),
      ),
    )
    .orderBy(asc(events.startsAt), asc(events.id))
    .limit(100)
}
