// Section capacity: the one guarded place where tickets are counted into a section, and where they leave it.
import { eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { sections } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'

/**
 * Locks a section's row before seats are picked in it, and turns the reservation away when `n` places are
 * no longer free. The guard itself is the reservation statement's claim (`locked`, `walk`, `claim` in
 * reserve.statement.ts), which then runs under this lock; the lock serialises seat picking in the section,
 * so no one else can pick the same seats meanwhile. The CHECK `held + sold <= capacity` stays as a backstop.
 */
export async function lockSection(tx: Db, section: { id: number }, n: number): Promise<void> {
  const [row] = await tx
    .select({ free: sql<number>`${sections.capacity} - ${sections.held} - ${sections.sold}` })
    .from(sections)
    .where(eq(sections.id, section.id))
    .for('update')
  if (!row || row.free < n) throw soldOut()
}

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
