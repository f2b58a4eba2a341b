// Events: creating drafts with their sections, the public catalogue, editing, publishing and deleting.
import { type AnyColumn, and, asc, count, desc, eq, gte, like, lte, type SQL, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedOnce } from '../../db/client.js'
import { foreignKeyViolation } from '../../db/errors.js'
import { events, reservations, sections, tickets, users } from '../../db/schema/index.js'
import { AppError, invalid } from '../../lib/errors.js'
import { type PageParams, parseSort, toPage } from '../../lib/pagination.js'
import { containsPattern } from '../../lib/schemas.js'
import { eventColumns, eventForChange, loadEvent, refreshMinPrice, toEvent } from './events.queries.js'
import type {
  CreateEventInput,
  EventListInput,
  EventSort,
  EventT,
  UpdateEventInput,
} from './events.schemas.js'
import { insertSections, sectionShape } from './sections.service.js'

// Node's own list of ISO 4217 codes; the schema has already checked the three-capital-letters shape.
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'))

function assertCurrency(currency: string | undefined) {
  if (currency !== undefined && !CURRENCIES.has(currency)) {
    throw invalid('body.currency', 'is not an ISO 4217 currency code')
  }
}

function assertTimes(startsAt: Date, endsAt: Date | null) {
  if (endsAt && endsAt <= startsAt) throw invalid('body.ends_at', 'must be after starts_at')
}

export async function createEvent(ctx: Ctx, actor: Actor, input: CreateEventInput): Promise<EventT> {
  assertCurrency(input.currency)
  const startsAt = new Date(input.starts_at)
  const endsAt = input.ends_at ? new Date(input.ends_at) : null
  assertTimes(startsAt, endsAt)
  const shaped = input.sections.map((s, i) => ({ input: s, shape: sectionShape(s, `body.sections.${i}`) }))
  const id = await ctx.db.transaction(async (tx) => {
    const [event] = await tx
      .insert(events)
      .values({
        organizerId: actor.id,
        title: input.title.trim(),
        description: input.description ?? '',
        venue: input.venue.trim(),
        startsAt,
        endsAt,
        currency: input.currency ?? 'AUD',
        maxTicketsPerUser: input.max_tickets_per_user ?? null,
      })
      .returning({ id: events.id })
    await insertSections(tx, event!.id, shaped)
    await refreshMinPrice(tx, event!.id)
    return event!.id
  })
  return loadEvent(ctx, ctx.db, actor, id)
}

export function getEvent(ctx: Ctx, actor: Actor | null, id: number): Promise<EventT> {
  return loadEvent(ctx, ctx.db, actor, id)
}

/**
 * Which statuses a list shows: published by default; cancelled events stay public; drafts only to their
 * organizer (an admin sees every draft, an anonymous caller none). `kind` names the statement's shape; the
 * values are placeholders (`status`, `actor`) so one prepared statement serves every caller of that shape.
 */
function statusFilter(actor: Actor | null, status: EventListInput['status']): { kind: string; where: SQL } {
  if (status !== 'draft') return { kind: 'status', where: eq(events.status, sql.placeholder('status')) }
  if (!actor) return { kind: 'none', where: sql`false` }
  const drafts = eq(events.status, 'draft')
  if (actor.role === 'admin') return { kind: 'drafts', where: drafts }
  return { kind: 'own-drafts', where: and(drafts, eq(events.organizerId, sql.placeholder('actor')))! }
}

const SORT_KEYS: Record<EventSort, SQL | AnyColumn> = {
  starts_at: events.startsAt,
  created_at: events.createdAt,
  title: sql`lower(${events.title})`,
  min_price_cents: events.minPriceCents,
}

/** The list statement for one shape (status kind, which filters are present, sort), values as placeholders. */
function listStatement(
  db: Db,
  status: { kind: string; where: SQL },
  query: EventListInput,
  field: EventSort,
  descending: boolean,
) {
  const has = [query.q, query.venue, query.from, query.to, query.organizer_id].map((v) =>
    v === undefined ? 0 : 1,
  )
  const shape = `events_list:${status.kind}:${has.join('')}:${descending ? '-' : ''}${field}`
  return preparedOnce(db, shape, (d, name) => {
    const where = and(
      status.where,
      query.q !== undefined ? like(sql`lower(${events.title})`, sql.placeholder('q')) : undefined,
      query.venue !== undefined ? like(sql`lower(${events.venue})`, sql.placeholder('venue')) : undefined,
      query.from !== undefined ? gte(events.startsAt, sql.placeholder('from')) : undefined,
      query.to !== undefined ? lte(events.startsAt, sql.placeholder('to')) : undefined,
      query.organizer_id !== undefined ? eq(events.organizerId, sql.placeholder('organizer')) : undefined,
    )
    const dir = descending ? desc : asc
    return {
      // The total rides along as an uncorrelated subquery (computed once), so a page is one round trip.
      page: d
        .select({
          ...eventColumns,
          total: sql<number>`(select count(*) from ${events} where ${where ?? sql`true`})`.mapWith(Number),
        })
        .from(events)
        .leftJoin(users, eq(users.id, events.organizerId))
        .where(where)
        .orderBy(dir(SORT_KEYS[field]), dir(events.id))
        .limit(sql.placeholder('limit'))
        .offset(sql.placeholder('offset'))
        .prepare(name),
      // Past the last page there is no row to carry the total.
      total: d.select({ n: count() }).from(events).where(where).prepare(`${name}:total`),
    }
  })
}

export async function listEvents(ctx: Ctx, actor: Actor | null, query: EventListInput, page: PageParams) {
  const { field, desc: descending } = parseSort<EventSort>(query.sort, 'starts_at')
  const statement = listStatement(ctx.db, statusFilter(actor, query.status), query, field, descending)
  const values = {
    status: query.status ?? 'published',
    actor: actor?.id,
    q: query.q === undefined ? undefined : containsPattern(query.q),
    venue: query.venue === undefined ? undefined : containsPattern(query.venue),
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
    organizer: query.organizer_id,
    limit: page.perPage,
    offset: page.offset,
  }
  const rows = await statement.page.execute(values)
  let total = rows[0]?.total
  if (total === undefined) {
    const [counted] = await statement.total.execute(values)
    total = counted?.n ?? 0
  }
  return toPage(
    rows.map((r) => toEvent(ctx, r)),
    total,
    page,
  )
}

export async function updateEvent(ctx: Ctx, actor: Actor, id: number, input: UpdateEventInput) {
  assertCurrency(input.currency)
  await ctx.db.transaction(async (tx) => {
    const event = await eventForChange(tx, actor, id, 'no key update')
    const startsAt = input.starts_at ? new Date(input.starts_at) : event.startsAt
    const endsAt =
      input.ends_at === undefined ? event.endsAt : input.ends_at === null ? null : new Date(input.ends_at)
    assertTimes(startsAt, endsAt)
    if (input.currency !== undefined && input.currency !== event.currency) {
      const [sold] = await tx.select({ n: count() }).from(tickets).where(eq(tickets.eventId, id))
      if ((sold?.n ?? 0) > 0) {
        throw new AppError('EVENT_HAS_SALES', 'The currency cannot change once tickets were sold')
      }
    }
    await tx
      .update(events)
      .set({
        title: input.title?.trim(),
        description: input.description,
        venue: input.venue?.trim(),
        startsAt,
        endsAt,
        currency: input.currency,
        maxTicketsPerUser: input.max_tickets_per_user,
        updatedAt: new Date(),
      })
      .where(eq(events.id, id))
  })
  return loadEvent(ctx, ctx.db, actor, id)
}

export async function publishEvent(ctx: Ctx, actor: Actor, id: number) {
  await ctx.db.transaction(async (tx) => {
    const event = await eventForChange(tx, actor, id, 'no key update')
    if (event.status === 'published') return
    if (event.status === 'cancelled') {
      throw new AppError('CONFLICT', 'A cancelled event cannot be published again')
    }
    const [n] = await tx.select({ n: count() }).from(sections).where(eq(sections.eventId, id))
    if ((n?.n ?? 0) === 0) {
      throw new AppError('EVENT_HAS_NO_SECTIONS', 'Add at least one section before publishing')
    }
    await tx.update(events).set({ status: 'published', updatedAt: new Date() }).where(eq(events.id, id))
  })
  return loadEvent(ctx, ctx.db, actor, id)
}

const SALES_CONSTRAINTS = /^(tickets|reservations|invoices)_/

/**
 * Deletes an event that never sold anything: no reservation was ever made for it (so no ticket was ever held
 * or confirmed, and no invoice exists). Money history is never deleted; such events are cancelled instead.
 */
export async function deleteEvent(ctx: Ctx, actor: Actor, id: number) {
  const hasSales = () =>
    new AppError('EVENT_HAS_SALES', 'Tickets were sold for this event; cancel it instead')
  try {
    await ctx.db.transaction(async (tx) => {
      // FOR UPDATE waits for reservations in flight (their foreign keys hold KEY SHARE on the event).
      await eventForChange(tx, actor, id, 'update')
      const [ever] = await tx.select({ n: count() }).from(reservations).where(eq(reservations.eventId, id))
      if ((ever?.n ?? 0) > 0) throw hasSales()
      await tx.delete(events).where(eq(events.id, id))
    })
  } catch (err) {
    const constraint = foreignKeyViolation(err)
    if (constraint !== undefined && SALES_CONSTRAINTS.test(constraint)) throw hasSales()
    throw err
  }
}
