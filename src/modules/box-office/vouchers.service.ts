// Vouchers: the organizer's codes for an event (create, list, change, delete), and counting a use when a
// reservation carries one.
import { and, count, eq, inArray, isNotNull, notExists, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { foreignKeyViolation, uniqueViolation } from '../../db/errors.js'
import { invoices, reservations, sections, tickets, vouchers } from '../../db/schema/index.js'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { OUT_OF_YEARS, withinYears } from '../../lib/time-zones.js'
import { eventForChange } from '../events/events.queries.js'
import type { VoucherInput, VoucherPatchT, VoucherT } from './vouchers.schemas.js'

type VoucherRow = typeof vouchers.$inferSelect

export function toVoucher(v: VoucherRow): VoucherT {
  return {
    id: v.id,
    code: v.code,
    kind: v.kind,
    value: v.value,
    section_ids: v.sectionIds,
    max_uses: v.maxUses,
    uses: v.uses,
    valid_from: v.validFrom?.toISOString() ?? null,
    valid_until: v.validUntil?.toISOString() ?? null,
    active: v.active,
    created_at: v.createdAt.toISOString(),
  }
}

const taken = () => new AppError('VOUCHER_CODE_TAKEN', 'This event already has a voucher with this code')

/** Checks what the schema cannot: the percent range, the sections' event, the window's order. */
async function checkShape(db: Db, eventId: number, v: Partial<VoucherRow>): Promise<void> {
  if (v.kind === 'percent' && (v.value ?? 0) > 100) invalidThrow('body.value', 'a percentage is 1 to 100')
  if (v.sectionIds && v.sectionIds.length > 0) {
    const [found] = await db
      .select({ n: count() })
      .from(sections)
      .where(and(eq(sections.eventId, eventId), inArray(sections.id, v.sectionIds)))
    if ((found?.n ?? 0) !== v.sectionIds.length) {
      invalidThrow('body.section_ids', 'every section must belong to this event')
    }
  }
  if (v.validFrom && v.validUntil && v.validUntil <= v.validFrom) {
    invalidThrow('body.valid_until', 'must be after valid_from')
  }
}

function invalidThrow(path: string, message: string): never {
  throw invalid(path, message)
}

/** The validity a body sends, each time in the years times may have. */
function assertYears(input: { valid_from?: string | null; valid_until?: string | null }) {
  for (const field of ['valid_from', 'valid_until'] as const) {
    const value = input[field]
    if (value && !withinYears(value)) invalidThrow(`body.${field}`, OUT_OF_YEARS)
  }
}

const dateOf = (value: string | null | undefined) =>
  value === undefined ? undefined : value === null ? null : new Date(value)

export async function createVoucher(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  input: VoucherInput,
): Promise<VoucherT> {
  assertYears(input)
  await eventForChange(ctx.db, actor, eventId)
  const values = {
    eventId,
    code: input.code,
    kind: input.kind,
    value: input.value,
    sectionIds: input.section_ids ?? null,
    maxUses: input.max_uses ?? null,
    validFrom: dateOf(input.valid_from) ?? null,
    validUntil: dateOf(input.valid_until) ?? null,
    active: input.active ?? true,
  }
  await checkShape(ctx.db, eventId, values)
  try {
    const [row] = await ctx.db.insert(vouchers).values(values).returning()
    return toVoucher(row!)
  } catch (err) {
    if (uniqueViolation(err) === 'vouchers_event_code_key') throw taken()
    throw err
  }
}

export async function listVouchers(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  page: PageParams,
): Promise<Page<VoucherT>> {
  await eventForChange(ctx.db, actor, eventId)
  const { rows, total } = await preparedPage(ctx.db, 'vouchers', page, { event: eventId }, (d) => {
    const ofEvent = eq(vouchers.eventId, sql.placeholder('event'))
    return {
      rows: d.select().from(vouchers).where(ofEvent).orderBy(vouchers.id).$dynamic(),
      total: d.select({ n: count() }).from(vouchers).where(ofEvent).$dynamic(),
    }
  })
  return toPage(rows.map(toVoucher), total[0]?.n ?? 0, page)
}

/** One voucher of the event, for its organizer or an admin; 404 when the event has no such voucher. */
export async function getVoucher(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  voucherId: number,
): Promise<VoucherT> {
  await eventForChange(ctx.db, actor, eventId)
  const [row] = await ctx.db
    .select()
    .from(vouchers)
    .where(and(eq(vouchers.id, voucherId), eq(vouchers.eventId, eventId)))
  if (!row) throw notFound('Voucher')
  return toVoucher(row)
}

async function lockVoucher(tx: Db, eventId: number, voucherId: number): Promise<VoucherRow> {
  const [row] = await tx
    .select()
    .from(vouchers)
    .where(and(eq(vouchers.id, voucherId), eq(vouchers.eventId, eventId)))
    .for('update')
  if (!row) throw notFound('Voucher')
  return row
}

export async function updateVoucher(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  voucherId: number,
  patch: VoucherPatchT,
): Promise<VoucherT> {
  assertYears(patch)
  await eventForChange(ctx.db, actor, eventId)
  try {
    return await ctx.db.transaction(async (tx) => {
      const current = await lockVoucher(tx, eventId, voucherId)
      const next = {
        code: patch.code ?? current.code,
        kind: patch.kind ?? current.kind,
        value: patch.value ?? current.value,
        sectionIds: patch.section_ids === undefined ? current.sectionIds : patch.section_ids,
        maxUses: patch.max_uses === undefined ? current.maxUses : patch.max_uses,
        validFrom: dateOf(patch.valid_from) === undefined ? current.validFrom : dateOf(patch.valid_from)!,
        validUntil: dateOf(patch.valid_until) === undefined ? current.validUntil : dateOf(patch.valid_until)!,
        active: patch.active ?? current.active,
      }
      await checkShape(tx, eventId, next)
      if (next.maxUses !== null && next.maxUses < current.uses) {
        throw invalid('body.max_uses', `this voucher has been used ${current.uses} times already`)
      }
      const [row] = await tx
        .update(vouchers)
        .set({ ...next, updatedAt: new Date() })
        .where(eq(vouchers.id, voucherId))
        .returning()
      return toVoucher(row!)
    })
  } catch (err) {
    if (uniqueViolation(err) === 'vouchers_event_code_key') throw taken()
    throw err
  }
}

const inUse = () =>
  new AppError('VOUCHER_IN_USE', 'This voucher has been used: deactivate it instead (active: false)')

export async function deleteVoucher(ctx: Ctx, actor: Actor, eventId: number, voucherId: number) {
  await eventForChange(ctx.db, actor, eventId)
  try {
    await ctx.db.transaction(async (tx) => {
      // Under the row lock: a reservation counting a use waits, then finds the voucher gone.
      const current = await lockVoucher(tx, eventId, voucherId)
      if (current.uses > 0) throw inUse()
      await tx.delete(vouchers).where(eq(vouchers.id, voucherId))
    })
  } catch (err) {
    // The backstop: a reservation refers to it (reservations.voucher_id restricts the delete).
    if (foreignKeyViolation(err) !== undefined) throw inUse()
    throw err
  }
}

/** What a reservation's voucher takes off each ticket. */
export interface Discount {
  voucherId: number
  kind: 'percent' | 'amount'
  value: number
}

/** Test-only widening of the voucher control: long enough for the other buyers to read the same count. */
const UNGUARDED_PAUSE_SECONDS = 0.3

/** Why a voucher cannot be used for a reservation in `sectionId` at `now`, in the buyer's words; null if it can. */
function whyUnusable(v: typeof vouchers.$inferSelect, sectionId: number, now: Date): string | null {
  if (!v.active) return 'This voucher has been switched off by the organizer'
  if (v.validFrom !== null && v.validFrom > now) return 'This voucher cannot be used yet'
  if (v.validUntil !== null && v.validUntil <= now) return 'This voucher has expired'
  if (v.sectionIds !== null && v.sectionIds.length > 0 && !v.sectionIds.includes(sectionId))
    return 'This voucher is not for this section'
  return null
}

/**
 * Counts one use of the event's voucher `code` (any case) for a reservation in `sectionId`, inside the
 * reservation's transaction (rolled back with it). The guard is the conditional UPDATE: it counts the use only
 * while `uses < max_uses`, under the voucher's row lock, so however many buyers race for the last use, only
 * as many as are left get it. 409 VOUCHER_INVALID (unknown, inactive, outside its dates, not for this
 * section) or VOUCHER_EXHAUSTED.
 *
 * `UNSAFE_DISABLE_GUARDS=voucher` (test-only control): the naive read-then-write, the count read without a
 * lock and written back plus one after a pause, so that concurrent buyers all see the same count.
 */
export async function claimVoucher(
  ctx: Ctx,
  tx: Db,
  eventId: number,
  sectionId: number,
  code: string,
): Promise<Discount> {
  const [v] = await tx
    .select()
    .from(vouchers)
    .where(and(eq(vouchers.eventId, eventId), eq(sql`lower(${vouchers.code})`, code.toLowerCase())))
  if (!v) throw new AppError('VOUCHER_INVALID', 'No voucher of this event has this code')
  const unusable = whyUnusable(v, sectionId, new Date())
  if (unusable) throw new AppError('VOUCHER_INVALID', unusable)
  const exhausted = () => new AppError('VOUCHER_EXHAUSTED', 'This voucher has been used up')
  if (guardDisabled(ctx.config, 'voucher')) {
    if (v.maxUses !== null && v.uses >= v.maxUses) throw exhausted()
    await tx.execute(sql`select pg_sleep(${UNGUARDED_PAUSE_SECONDS})`)
    await tx
      .update(vouchers)
      .set({ uses: v.uses + 1 })
      .where(eq(vouchers.id, v.id))
  } else {
    const counted = await tx
      .update(vouchers)
      .set({ uses: sql`${vouchers.uses} + 1`, updatedAt: new Date() })
      .where(
        and(
          eq(vouchers.id, v.id),
          eq(vouchers.active, true),
          sql`(${vouchers.maxUses} is null or ${vouchers.uses} < ${vouchers.maxUses})`,
        ),
      )
      .returning({ id: vouchers.id })
    if (counted.length === 0) throw exhausted()
  }
  return { voucherId: v.id, kind: v.kind, value: v.value }
}

/**
 * Gives back the voucher uses of these reservations that ended before being paid: none of their tickets is
 * held or confirmed any more and none of their invoices was paid (they lapsed, or were released). Called in the
 * transaction that ended their last tickets, so `uses` counts only reservations that are live or were paid,
 * and a use freed this way may be claimed again. The reservation lets go of the voucher (voucher_id null,
 * under its row lock), so a use is given back once, and a voucher no live reservation refers to may be
 * deleted. Its lines keep the discount they were issued with.
 */
export async function returnVoucherUses(tx: Db, reservationIds: number[]): Promise<void> {
  if (reservationIds.length === 0) return
  const ended = await tx
    .select({ id: reservations.id, voucherId: reservations.voucherId })
    .from(reservations)
    .where(
      and(
        inArray(reservations.id, [...new Set(reservationIds)]),
        isNotNull(reservations.voucherId),
        notExists(
          tx
            .select({ one: sql`1` })
            .from(tickets)
            .where(
              and(eq(tickets.reservationId, reservations.id), inArray(tickets.status, ['held', 'confirmed'])),
            ),
        ),
        notExists(
          tx
            .select({ one: sql`1` })
            .from(invoices)
            .where(and(eq(invoices.reservationId, reservations.id), isNotNull(invoices.paidAt))),
        ),
      ),
    )
    .orderBy(reservations.id)
    .for('update')
  if (ended.length === 0) return
  const cleared = await tx
    .update(reservations)
    .set({ voucherId: null })
    .where(
      and(
        inArray(
          reservations.id,
          ended.map((r) => r.id),
        ),
        isNotNull(reservations.voucherId),
      ),
    )
    .returning({ id: reservations.id })
  const perVoucher = new Map<number, number>()
  for (const r of ended) {
    if (r.voucherId === null || !cleared.some((c) => c.id === r.id)) continue
    perVoucher.set(r.voucherId, (perVoucher.get(r.voucherId) ?? 0) + 1)
  }
  for (const [voucherId, n] of [...perVoucher].sort(([a], [b]) => a - b)) {
    await tx
      .update(vouchers)
      .set({ uses: sql`${vouchers.uses} - ${n}`, updatedAt: new Date() })
      .where(eq(vouchers.id, voucherId))
  }
}

/** Records which voucher a reservation used (after it was written, in the same transaction). */
export async function markVoucherUsed(tx: Db, reservationId: number, voucherId: number): Promise<void> {
  await tx.update(reservations).set({ voucherId }).where(eq(reservations.id, reservationId))
}
