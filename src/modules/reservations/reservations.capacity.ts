// Section capacity: the one guarded place where tickets are counted into a section, and where they leave it.
import { and, count, eq, inArray, sql } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { sections, tickets } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'

/**
 * Locks a section's row before seats are picked in it, and turns the reservation away when `n` places are
 * no longer free. The guard itself is the conditional UPDATE in reservations.write.ts (`held + sold + n <=
 * capacity`, as alf.io does it), which then runs under this lock; the lock serialises seat picking in the
 * section, so no one else can pick the same seats meanwhile. The CHECK `held + sold <= capacity` stays as a
 * backstop.
 *
 * `UNSAFE_DISABLE_GUARDS=capacity` (honoured only when NODE_ENV=test) swaps in the naive read-then-write
 * that the control test must catch: count the live tickets without a lock, then insert without the guarded
 * claim. It leaves the counters alone on purpose: even an unconditional `held = held + n` would be stopped
 * by the CHECK backstop and turn the oversell into errors instead of showing the race.
 */
export async function lockSection(
  ctx: Ctx,
  tx: Db,
  section: { id: number; capacity: number },
  n: number,
): Promise<void> {
  if (unguarded(ctx)) {
    const [row] = await tx
      .select({ live: count() })
      .from(tickets)
      .where(and(eq(tickets.sectionId, section.id), inArray(tickets.status, ['held', 'confirmed'])))
    if ((row?.live ?? 0) + n > section.capacity) throw soldOut()
    return
  }
  const [row] = await tx
    .select({ free: sql<number>`${sections.capacity} - ${sections.held} - ${sections.sold}` })
    .from(sections)
    .where(eq(sections.id, section.id))
    .for('update')
  if (!row || row.free < n) throw soldOut()
}

/** The test-only switch of the control test; never honoured outside NODE_ENV=test. */
export const unguarded = (ctx: Ctx): boolean => guardDisabled(ctx.config, 'capacity')

export const soldOut = () => new AppError('SOLD_OUT', 'Not enough tickets left in this section')

export interface CounterChange {
  sectionId: number
  held: number
  sold: number
}

/**
 * Applies counter changes (negative = places given back) in section-id order, so two transactions that
 * touch several sections (the sweep, a cancellation) always lock them in the same order and cannot deadlock.
 */
export async function moveCounters(tx: Db, changes: CounterChange[]): Promise<void> {
  const bySection = new Map<number, CounterChange>()
  for (const c of changes) {
    const sum = bySection.get(c.sectionId) ?? { sectionId: c.sectionId, held: 0, sold: 0 }
    sum.held += c.held
    sum.sold += c.sold
    bySection.set(c.sectionId, sum)
  }
  const ordered = [...bySection.values()].filter((c) => c.held !== 0 || c.sold !== 0)
  ordered.sort((a, b) => a.sectionId - b.sectionId)
  for (const c of ordered) {
    await tx
      .update(sections)
      .set({
        held: sql`${sections.held} + ${c.held}`,
        sold: sql`${sections.sold} + ${c.sold}`,
        updatedAt: new Date(),
      })
      .where(eq(sections.id, c.sectionId))
  }
}

/** Counter changes for tickets leaving `from` (held or confirmed) for a state that holds no place. */
export function released(rows: { sectionId: number; status: string }[]): CounterChange[] {
  return rows.map((r) => ({
    sectionId: r.sectionId,
    held: r.status === 'held' ? -1 : 0,
    sold: r.status === 'confirmed' ? -1 : 0,
  }))
}
