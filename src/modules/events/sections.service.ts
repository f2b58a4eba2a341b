// Sections of an event: adding, resizing (never below what is held and sold), deleting empty ones, and seats.
import { and, count, eq, gte, inArray, max, ne, or, sql, sum } from 'drizzle-orm'
import type { Config } from '../../config.js'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { foreignKeyViolation } from '../../db/errors.js'
import { seats, sections, tickets } from '../../db/schema/index.js'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import { placesCameBack } from '../box-office/waitlist.notify.js'
import {
  type EventRow,
  eventForChange,
  refreshMinPrice,
  type SectionRow,
  toSection,
} from './events.queries.js'
import type { SectionInput, SectionPatch, SectionT } from './events.schemas.js'
import { seatGrid } from './seating.js'

// Well under PostgreSQL's 65,535 bind parameters per statement (4 per seat).
const SEAT_BATCH = 5_000

type Shape = { kind: 'general' | 'seated'; capacity: number; rows: number | null; seatsPerRow: number | null }

/** Works out a section's kind and size from the body; `path` prefixes field errors (`body.sections.0`). */
export function sectionShape(input: SectionInput, path: string): Shape {
  const kind = input.kind ?? (input.capacity === undefined && input.rows !== undefined ? 'seated' : 'general')
  if (kind === 'general') {
    if (input.capacity === undefined) throw invalid(`${path}.capacity`, 'is required for a general section')
    return { kind, capacity: input.capacity, rows: null, seatsPerRow: null }
  }
  if (input.rows === undefined) throw invalid(`${path}.rows`, 'is required for a seated section')
  if (input.seats_per_row === undefined) {
    throw invalid(`${path}.seats_per_row`, 'is required for a seated section')
  }
  const capacity = input.rows * input.seats_per_row
  if (input.capacity !== undefined && input.capacity !== capacity) {
    throw invalid(`${path}.capacity`, 'must equal rows × seats_per_row for a seated section (or be left out)')
  }
  return { kind, capacity, rows: input.rows, seatsPerRow: input.seats_per_row }
}

/**
 * 409 CONFLICT when the event's seated sections would hold more than MAX_SEATS_PER_EVENT seats: `seats` new
 * ones beside those of its other seated sections (all but `replacing`, the section being resized). Called
 * under the event lock that serialises section changes, so two changes at once cannot both take the last room.
 */
export async function assertSeatRoom(
  db: Db,
  config: Pick<Config, 'MAX_SEATS_PER_EVENT'>,
  eventId: number,
  seats: number,
  replacing?: number,
): Promise<void> {
  const [row] = await db
    .select({ n: sum(sections.capacity).mapWith(Number) })
    .from(sections)
    .where(
      and(
        eq(sections.eventId, eventId),
        eq(sections.kind, 'seated'),
        replacing === undefined ? undefined : ne(sections.id, replacing),
      ),
    )
  const others = row?.n ?? 0
  const most = config.MAX_SEATS_PER_EVENT
  if (others + seats > most) {
    throw new AppError(
      'CONFLICT',
      `An event has at most ${most} seats; its other seated sections have ${others}, this change would add ${seats}`,
    )
  }
}

async function insertSeats(db: Db, sectionId: number, rows: number, seatsPerRow: number) {
  const grid = seatGrid(sectionId, rows, seatsPerRow)
  for (let i = 0; i < grid.length; i += SEAT_BATCH) {
    // Growing a section re-offers the whole grid; the seats that already exist stay as they are.
    await db
      .insert(seats)
      .values(grid.slice(i, i + SEAT_BATCH))
      .onConflictDoNothing()
  }
}

/** Inserts sections (and their seats) after the event's existing ones. Call inside a transaction. */
export async function insertSections(
  db: Db,
  eventId: number,
  inputs: { input: SectionInput; shape: Shape }[],
): Promise<SectionRow[]> {
  const [last] = await db
    .select({ position: max(sections.position) })
    .from(sections)
    .where(eq(sections.eventId, eventId))
  const start = (last?.position ?? -1) + 1
  const rows = await db
    .insert(sections)
    .values(
      inputs.map(({ input, shape }, i) => ({
        eventId,
        name: input.name.trim(),
        kind: shape.kind,
        priceCents: input.price_cents,
        capacity: shape.capacity,
        rows: shape.rows,
        seatsPerRow: shape.seatsPerRow,
        position: start + i,
      })),
    )
    .returning()
  for (const s of rows) {
    if (s.kind === 'seated') await insertSeats(db, s.id, s.rows!, s.seatsPerRow!)
  }
  return rows
}

function assertOpen(event: EventRow) {
  if (event.status === 'cancelled') {
    throw new AppError('CONFLICT', 'The event is cancelled; its sections can no longer change')
  }
}

export async function addSection(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  input: SectionInput,
): Promise<SectionT> {
  const shape = sectionShape(input, 'body')
  return ctx.db.transaction(async (tx) => {
    // Serialises section changes of one event (positions) without blocking ticket sales.
    assertOpen(await eventForChange(tx, actor, eventId, 'no key update'))
    // Counted under that lock, so two additions at once cannot both take the last place.
    const [have] = await tx.select({ n: count() }).from(sections).where(eq(sections.eventId, eventId))
    const most = ctx.config.MAX_SECTIONS_PER_EVENT
    if ((have?.n ?? 0) >= most) throw new AppError('CONFLICT', `An event has at most ${most} sections`)
    if (shape.kind === 'seated') await assertSeatRoom(tx, ctx.config, eventId, shape.capacity)
    const [section] = await insertSections(tx, eventId, [{ input, shape }])
    await refreshMinPrice(tx, eventId)
    return toSection(section!)
  })
}

async function lockSection(db: Db, eventId: number, sectionId: number): Promise<SectionRow> {
  const [section] = await db
    .select()
    .from(sections)
    .where(and(eq(sections.id, sectionId), eq(sections.eventId, eventId)))
    .for('update')
  if (!section) throw notFound('Section')
  return section
}

function belowSold(section: SectionRow, capacity: number) {
  return new AppError(
    'CAPACITY_BELOW_SOLD',
    `Capacity ${capacity} is below the ${section.sold} sold and ${section.held} held tickets of this section`,
  )
}

/**
 * Changes a section. The section row stays locked until commit, so a reservation cannot slip in between the
 * check against sold + held and the new capacity (reservations take the same row lock or update the counters).
 */
export async function updateSection(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  sectionId: number,
  input: SectionPatch,
): Promise<SectionT> {
  return ctx.db.transaction(async (tx) => {
    assertOpen(await eventForChange(tx, actor, eventId, 'no key update'))
    const section = await lockSection(tx, eventId, sectionId)
    const patch: Partial<typeof sections.$inferInsert> = { updatedAt: new Date() }
    if (input.name !== undefined) patch.name = input.name.trim()
    if (input.price_cents !== undefined) patch.priceCents = input.price_cents
    if (section.kind === 'general') {
      if (input.rows !== undefined || input.seats_per_row !== undefined) {
        throw invalid('body.rows', 'a general section has no rows; change its capacity instead')
      }
      if (input.capacity !== undefined) {
        if (input.capacity < section.sold + section.held) throw belowSold(section, input.capacity)
        patch.capacity = input.capacity
      }
    } else {
      const rows = input.rows ?? section.rows!
      const perRow = input.seats_per_row ?? section.seatsPerRow!
      if (input.capacity !== undefined && input.capacity !== rows * perRow) {
        throw invalid('body.capacity', 'a seated section holds rows × seats_per_row; change those instead')
      }
      if (rows !== section.rows || perRow !== section.seatsPerRow) {
        await assertSeatRoom(tx, ctx.config, eventId, rows * perRow, section.id)
        await resizeSeats(tx, section, rows, perRow)
        Object.assign(patch, { rows, seatsPerRow: perRow, capacity: rows * perRow })
      }
    }
    const [updated] = await tx.update(sections).set(patch).where(eq(sections.id, sectionId)).returning()
    // More capacity: the places go to whoever waits first.
    if (updated!.capacity > section.capacity) await placesCameBack(ctx, tx, [sectionId])
    await refreshMinPrice(tx, eventId)
    return toSection(updated!)
  })
}

/** Grows or shrinks the seat grid; a removed seat must have no live ticket, and no ticket history at all. */
async function resizeSeats(db: Db, section: SectionRow, rows: number, perRow: number) {
  const capacity = rows * perRow
  if (capacity < section.sold + section.held) throw belowSold(section, capacity)
  const outside = and(
    eq(seats.sectionId, section.id),
    or(gte(seats.rowIndex, rows), sql`${seats.number} > ${perRow}`),
  )
  const taken = await db
    .select({ row: seats.rowLabel, number: seats.number })
    .from(tickets)
    .innerJoin(seats, eq(seats.id, tickets.seatId))
    .where(and(outside, inArray(tickets.status, ['held', 'confirmed'])))
    .orderBy(seats.rowIndex, seats.number)
  // The seats that would go are named: the capacity may well be above sold + held, and still not fit them.
  if (taken.length > 0) {
    const names = taken.slice(0, 5).map((s) => `${s.row}${s.number}`)
    throw new AppError(
      'CAPACITY_BELOW_SOLD',
      `Seat${taken.length === 1 ? '' : 's'} ${names.join(', ')}${taken.length > 5 ? ` and ${taken.length - 5} more` : ''} ` +
        `would be removed but ${taken.length === 1 ? 'is' : 'are'} held or sold: keep ${taken.length === 1 ? 'it' : 'them'} in the section`,
    )
  }
  try {
    await db.delete(seats).where(outside)
  } catch (err) {
    // Cancelled and expired tickets still point at their seat: that history is kept, so the seat stays.
    if (foreignKeyViolation(err) !== undefined) {
      throw new AppError('CONFLICT', 'Seats that were ever sold or held cannot be removed from the section')
    }
    throw err
  }
  await insertSeats(db, section.id, rows, perRow)
}

export async function deleteSection(ctx: Ctx, actor: Actor, eventId: number, sectionId: number) {
  await ctx.db.transaction(async (tx) => {
    assertOpen(await eventForChange(tx, actor, eventId, 'no key update'))
    const section = await lockSection(tx, eventId, sectionId)
    const [used] = await tx.select({ n: count() }).from(tickets).where(eq(tickets.sectionId, sectionId))
    if (section.sold + section.held > 0 || (used?.n ?? 0) > 0) {
      throw new AppError('SECTION_NOT_EMPTY', 'This section has tickets; reduce its capacity instead')
    }
    await tx.delete(sections).where(eq(sections.id, sectionId))
    await refreshMinPrice(tx, eventId)
  })
}
