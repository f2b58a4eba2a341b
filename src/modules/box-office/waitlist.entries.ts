// Reading waiting-list entries as the API shows them (status as a client sees it, place in the queue): shared by
// the waiting list's routes and its serving, which both answer entries.
import { and, asc, count, desc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import type { Config } from '../../config.js'
import type { Ctx } from '../../context.js'
import { type Db, preparedOnce, preparedPage } from '../../db/client.js'
import { users, waitlistEntries } from '../../db/schema/index.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { profileColumns, toPublicUser } from '../users/users.schemas.js'
import type { WaitlistEntryT } from './waitlist.schemas.js'

/** The status a client sees: an offer past its expiry is expired even before the sweep gets to it. */
export const effectiveStatus = sql<WaitlistEntryT['status']>`case when ${waitlistEntries.status} = 'offered'
  and ${waitlistEntries.offerExpiresAt} <= now() then 'expired' else ${waitlistEntries.status} end`

/** What the reads of entries pick, each with `sql.placeholder`s for the values a call binds. */
const ENTRIES = {
  /** One entry: `id`. */
  id: () => eq(waitlistEntries.id, sql.placeholder('id')),
  /** A user's live entries (waiting or with an open offer) for one event: `user`, `event`. */
  live: () =>
    and(
      eq(waitlistEntries.userId, sql.placeholder('user')),
      eq(waitlistEntries.eventId, sql.placeholder('event')),
      inArray(waitlistEntries.status, ['waiting', 'offered']),
    ),
  /** A user's entries, newest first: `user`. */
  mine: () => eq(waitlistEntries.userId, sql.placeholder('user')),
  /** An event's entries: `event`. */
  event: () => eq(waitlistEntries.eventId, sql.placeholder('event')),
} satisfies Record<string, () => SQL | undefined>

type EntriesShape = keyof typeof ENTRIES

/** The entries a shape picks, oldest first (a user's own newest first). */
function selectEntries(db: Db, shape: EntriesShape) {
  return db
    .select({
      entry: waitlistEntries,
      user: profileColumns(users),
      status: effectiveStatus,
      // Written out: drizzle leaves the columns of a one-table select unqualified, and the count must tell
      // the entries ahead from the entry itself.
      position: sql<number | null>`case when waitlist_entries.status = 'waiting' then (
        select count(*)::int from waitlist_entries ahead where ahead.section_id = waitlist_entries.section_id
          and ahead.status = 'waiting' and ahead.id <= waitlist_entries.id) end`,
    })
    .from(waitlistEntries)
    .leftJoin(users, eq(users.id, waitlistEntries.userId))
    .where(ENTRIES[shape]())
    .orderBy(shape === 'mine' ? desc(waitlistEntries.id) : asc(waitlistEntries.id))
    .$dynamic()
}

type EntryRow = Awaited<ReturnType<ReturnType<typeof selectEntries>['execute']>>[number]

/** An entry as the API shows it, with its place among the section's waiting entries. */
function toEntry(config: Config, { entry: e, user, status, position }: EntryRow): WaitlistEntryT {
  return {
    id: e.id,
    user: user ? toPublicUser(config, user) : null,
    event_id: e.eventId,
    section_id: e.sectionId,
    quantity: e.quantity,
    together: e.together,
    attendee_ids: e.attendeeIds,
    split_payment: e.splitPayment,
    position,
    status,
    reservation_id: e.reservationId,
    offer_expires_at: e.offerExpiresAt?.toISOString() ?? null,
    created_at: e.createdAt.toISOString(),
  }
}

// A type, not an interface: drizzle's execute takes a Record, which an interface does not satisfy.
type EntriesValues = {
  id?: number
  user?: number
  event?: number
}

/**
 * The entries one id or a user's live ones for an event pick, as the API shows them: a statement prepared
 * once per shape, so neither drizzle nor PostgreSQL builds or plans it again on each call.
 */
export async function loadEntries(
  db: Db,
  config: Config,
  shape: 'id' | 'live',
  values: EntriesValues,
): Promise<WaitlistEntryT[]> {
  const statement = preparedOnce(db, `waitlist_entries:${shape}`, (d, name) =>
    selectEntries(d, shape).prepare(name),
  )
  return (await statement.execute(values)).map((row) => toEntry(config, row))
}

/** One page of a user's or an event's entries, and how many there are in all (`preparedPage`). */
export async function pageOfEntries(
  ctx: Ctx,
  shape: 'mine' | 'event',
  values: EntriesValues,
  page: PageParams,
): Promise<Page<WaitlistEntryT>> {
  const { rows, total } = await preparedPage(ctx.db, `waitlist_entries:${shape}`, page, values, (d) => ({
    rows: selectEntries(d, shape),
    total: d.select({ n: count() }).from(waitlistEntries).where(ENTRIES[shape]()).$dynamic(),
  }))
  return toPage(
    rows.map((row) => toEntry(ctx.config, row)),
    total[0]?.n ?? 0,
    page,
  )
}
