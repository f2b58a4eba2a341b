// Events: creating drafts with their sections, the public catalogue, editing, publishing and deleting.
import { and, count, eq, inArray, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, runStatement } from '../../db/client.js'
import { foreignKeyViolation, pgErrorCode } from '../../db/errors.js'
import { events, reservations, sections, tickets } from '../../db/schema/index.js'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import { type AggregatedPageRow, jsonPage } from '../../lib/json-text.js'
import { isCurrency } from '../../lib/money.js'
import { type Page, type PageParams, parseSort } from '../../lib/pagination.js'
import { containsPattern } from '../../lib/schemas.js'
import { DEFAULT_TIME_ZONE, OUT_OF_YEARS, timeZoneNamed, withinYears } from '../../lib/time-zones.js'
import { tellOfChange } from '../box-office/event-changed.notify.js'
import { avatarUrlPrefix } from '../users/users.schemas.js'
import {
  EVENT_JSON_BY_ID,
  type EventJsonRow,
  pageStatement,
  STATUS_TOTAL,
  totalStatement,
} from './events.json.js'
import { canSee, eventForChange, loadEvent, refreshMinPrice } from './events.queries.js'
import type {
  CreateEventInput,
  EventListInput,
  EventSort,
  EventT,
  UpdateEventInput,
} from './events.schemas.js'
import { insertSections, sectionShape } from './sections.service.js'

// The schema has already checked the three-capital-letters shape.
function assertCurrency(currency: string | undefined) {
  if (currency !== undefined && !isCurrency(currency)) {
    throw invalid('body.currency', 'is not an ISO 4217 currency code')
  }
}

/**
 * The zone as it is stored (timeZoneNamed); undefined when none was sent. PostgreSQL counts the sales by day on
 * its clock, so it must know the name too: both take theirs from the IANA database, but not always the same
 * edition (one statement, only when a zone other than UTC is named).
 */
async function zoneOf(db: Db, name: string | undefined): Promise<string | undefined> {
  if (name === undefined) return undefined
  const zone = timeZoneNamed(name.trim())
  if (zone && (zone === DEFAULT_TIME_ZONE || (await databaseKnowsZone(db, zone)))) return zone
  throw invalid('body.timezone', 'is not an IANA time zone name, such as Europe/Berlin')
}

async function databaseKnowsZone(db: Db, zone: string): Promise<boolean> {
  try {
    await db.execute(sql`select now() at time zone ${zone}`)
    return true
  } catch (err) {
    if (pgErrorCode(err) === '22023') return false // invalid_parameter_value: "time zone … not recognized"
    throw err
  }
}

/** The times a body sends, each in the years times may have. */
function assertYears(input: { starts_at?: string; ends_at?: string | null }) {
  for (const field of ['starts_at', 'ends_at'] as const) {
    const value = input[field]
    if (value && !withinYears(value)) throw invalid(`body.${field}`, OUT_OF_YEARS)
  }
}

function assertTimes(startsAt: Date, endsAt: Date | null) {
  if (endsAt && endsAt <= startsAt) throw invalid('body.ends_at', 'must be after starts_at')
}

export async function createEvent(ctx: Ctx, actor: Actor, input: CreateEventInput): Promise<EventT> {
  assertCurrency(input.currency)
  assertYears(input)
  const timezone = (await zoneOf(ctx.db, input.timezone)) ?? DEFAULT_TIME_ZONE
  const startsAt = new Date(input.starts_at)
  const endsAt = input.ends_at ? new Date(input.ends_at) : null
  assertTimes(startsAt, endsAt)
  const shaped = input.sections.map((s, i) => ({ input: s, shape: sectionShape(s, `body.sections.${i}`) }))
  // A new event's size is its body's alone: past a limit, the body is invalid (400). Adding to an event that
  // exists is refused by its state instead (409, assertSeatRoom and the sections service).
  const most = ctx.config.MAX_SECTIONS_PER_EVENT
  if (shaped.length > most) throw invalid('body.sections', `an event has at most ${most} sections`)
  const seats = shaped.reduce((n, s) => n + (s.shape.kind === 'seated' ? s.shape.capacity : 0), 0)
  if (seats > ctx.config.MAX_SEATS_PER_EVENT) {
    throw invalid(
      'body.sections',
      `an event has at most ${ctx.config.MAX_SEATS_PER_EVENT} seats; these seated sections have ${seats}`,
    )
  }
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
        timezone,
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
 * Which events a list shows: published by default. Cancelled events stay public once they were published; one
 * cancelled before it was ever published stays as private as a draft. Drafts (and such events) only to their
 * organizer; an admin sees every one, an anonymous caller none. `kind` names the statement's shape, and
 * `counted` says whether the status's counter (event_counts) is the list's total when nothing else filters.
 */
function statusFilter(actor: Actor | null, status: EventListInput['status'], bind: (v: unknown) => string) {
  if (status === undefined || status === 'published') {
    return { kind: 'status', where: `e.status = ${bind('published')}`, counted: true }
  }
  if (status === 'cancelled') {
    const cancelled = `e.status = ${bind('cancelled')}`
    if (actor?.role === 'admin') return { kind: 'cancelled-all', where: cancelled, counted: false }
    if (actor) {
      const seen = `(e.published_at is not null or e.organizer_id = ${bind(actor.id)})`
      return { kind: 'cancelled-own', where: `${cancelled} and ${seen}`, counted: false }
    }
    return { kind: 'cancelled', where: `${cancelled} and e.published_at is not null`, counted: true }
  }
  if (!actor) return { kind: 'none', where: 'false', counted: false }
  if (actor.role === 'admin') return { kind: 'drafts', where: `e.status = 'draft'`, counted: false }
  return {
    kind: 'own-drafts',
    where: `e.status = 'draft' and e.organizer_id = ${bind(actor.id)}`,
    counted: false,
  }
}

const SORT_KEYS: Record<EventSort, string> = {
  starts_at: 'e.starts_at',
  created_at: 'e.created_at',
  title: 'e.title_lower',
  min_price_cents: 'e.min_price_cents',
}

/** Shorter than this, a text has no trigram for the trigram indexes to narrow by. */
const TRIGRAM = 3

/**
 * `column` (lowered) contains `text`, case-insensitively, each length with a statement of its own (its flag in
 * the shape):
 * - a trigram or more: a LIKE that the column's trigram index narrows (flag 1);
 * - two characters: one of the column's pairs of characters, looked up in its GIN index of them (flag 3;
 *   migration 0025). On 1,100 events the page statement ran 1.4× as many times a second as with the
 *   strpos scan it replaced for `q=ab` (324 matches), 4× when nothing matched, 0.93× when every title did
 *   (bench/README.md);
 * - one character: strpos over every row (flag 2); it matches most rows, which an index would not spare.
 */
function contains(column: string, text: string, bind: (v: unknown) => string) {
  const lowered = text.toLowerCase()
  const length = [...lowered].length
  if (length >= TRIGRAM) return { where: `${column} like ${bind(containsPattern(text))}`, flag: 1 }
  if (length === 2) return { where: `text_bigrams(${column}) @> array[${bind(lowered)}::text]`, flag: 3 }
  return { where: `strpos(${column}, ${bind(lowered)}) > 0`, flag: 2 }
}

/** Days (YYYY-MM-DD) an event starts on or after (`from`) and on or before (`to`), on its own zone's clock. */
export interface LocalDays {
  from?: string
  to?: string
}

/**
 * A page of the catalogue as the JSON text the API sends (`data` built by PostgreSQL, events.json.ts), and the
 * page's numbers for the envelope and the Link header. One statement per shape (status kind, which filters
 * are present, sort, page size), prepared on each connection; the values are its parameters.
 */
export async function listEventsJson(
  ctx: Ctx,
  actor: Actor | null,
  query: EventListInput,
  page: PageParams,
  days?: LocalDays,
): Promise<{ body: string; page: Page<never> }> {
  const { field, desc: descending } = parseSort<EventSort>(query.sort, 'starts_at')
  const values: unknown[] = [avatarUrlPrefix(ctx.config)]
  const bind = (v: unknown) => {
    values.push(v)
    return `$${values.length}`
  }
  const status = statusFilter(actor, query.status, bind)
  const where = [status.where]
  const q = query.q === undefined ? undefined : contains('e.title_lower', query.q, bind)
  const venue = query.venue === undefined ? undefined : contains('e.venue_lower', query.venue, bind)
  if (q) where.push(q.where)
  if (venue) where.push(venue.where)
  if (query.from !== undefined) where.push(`e.starts_at >= ${bind(new Date(query.from))}`)
  if (query.to !== undefined) where.push(`e.starts_at <= ${bind(new Date(query.to))}`)
  if (query.organizer_id !== undefined) where.push(`e.organizer_id = ${bind(query.organizer_id)}`)
  // A day on each event's own clock: the instants a day can span in any zone (UTC-12 to UTC+14) narrow by the
  // index, the event's own date decides.
  if (days?.from !== undefined) {
    where.push(`e.starts_at >= ${bind(days.from)}::date - interval '14 hours'`)
    where.push(`(e.starts_at at time zone e.timezone)::date >= ${bind(days.from)}::date`)
  }
  if (days?.to !== undefined) {
    where.push(`e.starts_at < ${bind(days.to)}::date + interval '36 hours'`)
    where.push(`(e.starts_at at time zone e.timezone)::date <= ${bind(days.to)}::date`)
  }
  const has = [
    q?.flag ?? 0,
    venue?.flag ?? 0,
    ...[query.from, query.to, query.organizer_id, days?.from, days?.to].map((v) => (v === undefined ? 0 : 1)),
  ]
  const shape = `events_json:${status.kind}:${has.join('')}:${descending ? '-' : ''}${field}`
  const condition = where.join(' and ')
  // Published or cancelled events with no filter: the total is a counter's, not a count over the table.
  const counted = status.counted && where.length === 1 ? STATUS_TOTAL : undefined
  const first = page.offset === 0
  const statement = pageStatement(
    shape,
    condition,
    SORT_KEYS[field],
    descending,
    page.perPage,
    values.length,
    first,
    query.q !== undefined || query.venue !== undefined,
    counted,
  )
  const [row] = await runStatement<AggregatedPageRow>(
    ctx.db,
    statement,
    first ? values : [...values, page.offset],
  )
  let total = row?.total ?? null
  if (total === null) {
    // Past the last page no item carries the total.
    const [last] = await runStatement<{ total: number }>(
      ctx.db,
      totalStatement(shape, condition, counted),
      values,
    )
    total = last?.total ?? 0
  }
  return jsonPage(row?.data ?? '', total, page)
}

/** A page of the catalogue as objects, for the pages: the same statement as `listEventsJson`. */
export async function listEvents(
  ctx: Ctx,
  actor: Actor | null,
  query: EventListInput,
  page: PageParams,
  days?: LocalDays,
): Promise<Page<EventT>> {
  const { body } = await listEventsJson(ctx, actor, query, page, days)
  return JSON.parse(body) as Page<EventT>
}

/** GET /events/{id} as the JSON text the API sends; 404 when it does not exist or `actor` may not see it. */
export async function getEventJson(ctx: Ctx, actor: Actor | null, id: number): Promise<string> {
  const [row] = await runStatement<EventJsonRow>(ctx.db, EVENT_JSON_BY_ID, [avatarUrlPrefix(ctx.config), id])
  if (!row || !canSee(actor, { publishedAt: row.published_at, organizerId: row.organizer_id })) {
    throw notFound('Event')
  }
  return row.json
}

/** How far away a start brought forward must stay while tickets are held or sold: a day to ask for refunds. */
const NOTICE_MS = 24 * 3_600_000

export async function updateEvent(ctx: Ctx, actor: Actor, id: number, input: UpdateEventInput) {
  assertCurrency(input.currency)
  assertYears(input)
  const timezone = await zoneOf(ctx.db, input.timezone)
  const now = Date.now()
  const soon = input.starts_at !== undefined && new Date(input.starts_at).getTime() < now + NOTICE_MS
  await ctx.db.transaction(async (tx) => {
    // A start brought near waits for reservations in flight (their foreign key holds KEY SHARE on the event), so
    // the count below sees them.
    // So does a new start or venue, so that everyone holding a ticket is told of it (tellOfChange).
    const told = soon || input.starts_at !== undefined || input.venue !== undefined
    const event = await eventForChange(tx, actor, id, told ? 'update' : 'no key update')
    const startsAt = input.starts_at ? new Date(input.starts_at) : event.startsAt
    const endsAt =
      input.ends_at === undefined ? event.endsAt : input.ends_at === null ? null : new Date(input.ends_at)
    assertTimes(startsAt, endsAt)
    // Tickets are refunded until the event starts. A start brought forward to within a day (the past included)
    // would end that at once or nearly, and could be moved back after. A later start, or one still a day away,
    // is a reschedule; cancelling, which refunds every ticket, is the way to end an event early.
    const broughtNear =
      soon && startsAt.getTime() < event.startsAt.getTime() && event.startsAt.getTime() > now
    if (broughtNear) {
      const [live] = await tx
        .select({ n: count() })
        .from(tickets)
        .where(and(eq(tickets.eventId, id), inArray(tickets.status, ['held', 'confirmed'])))
      if ((live?.n ?? 0) > 0) {
        throw new AppError(
          'EVENT_HAS_SALES',
          'While tickets are held or sold, the start can be brought forward only to a time at least 24 hours away: their refunds run until the start. Move it later, or cancel the event, which refunds them',
          {
            errors: [
              {
                path: 'body.starts_at',
                message:
                  'can be brought forward only to at least 24 hours from now while tickets are held or sold',
              },
            ],
          },
        )
      }
    }
    if (input.currency !== undefined && input.currency !== event.currency) {
      const [sold] = await tx.select({ n: count() }).from(tickets).where(eq(tickets.eventId, id))
      if ((sold?.n ?? 0) > 0) {
        throw new AppError('EVENT_HAS_SALES', 'The currency cannot change once tickets were sold')
      }
    }
    const [after] = await tx
      .update(events)
      .set({
        title: input.title?.trim(),
        description: input.description,
        venue: input.venue?.trim(),
        startsAt,
        endsAt,
        timezone,
        currency: input.currency,
        maxTicketsPerUser: input.max_tickets_per_user,
        updatedAt: new Date(),
      })
      .where(eq(events.id, id))
      .returning()
    if (told && after) await tellOfChange(ctx, tx, actor.id, event, after)
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
    const now = new Date()
    await tx
      .update(events)
      .set({ status: 'published', publishedAt: now, updatedAt: now })
      .where(eq(events.id, id))
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
