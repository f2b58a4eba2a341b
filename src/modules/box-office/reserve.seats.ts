// Seat choice for a seated section: exact seats, the best adjacent block, or the best single seats.
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { seats, tickets } from '../../db/schema/index.js'
import { AppError, invalid } from '../../lib/errors.js'

export interface SeatState {
  id: number
  rowIndex: number
  rowLabel: string
  number: number
  taken: boolean
}

/** Every seat of a section with whether a live ticket holds it, front row first, left to right. */
export async function seatStates(tx: Db, sectionId: number): Promise<SeatState[]> {
  return tx
    .select({
      id: seats.id,
      rowIndex: seats.rowIndex,
      rowLabel: seats.rowLabel,
      number: seats.number,
      taken: sql<boolean>`${tickets.id} is not null`,
    })
    .from(seats)
    .leftJoin(tickets, and(eq(tickets.seatId, seats.id), inArray(tickets.status, ['held', 'confirmed'])))
    .where(eq(seats.sectionId, sectionId))
    .orderBy(asc(seats.rowIndex), asc(seats.number))
}

/** The requested seats, all of this section and none taken; 400 for a seat of another section, else SEAT_TAKEN. */
export function exactSeats(all: SeatState[], seatIds: number[]): SeatState[] {
  const byId = new Map(all.map((s) => [s.id, s]))
  const chosen = seatIds.map((id) => byId.get(id))
  const foreign = seatIds.filter((_, i) => !chosen[i])
  if (foreign.length > 0)
    throw invalid('body.seat_ids', `seats ${foreign.join(', ')} are not in this section`)
  // Named as the seat map names them (B3), for the buyer who picked them there.
  const taken = chosen.filter((s) => s!.taken).map((s) => `${s!.rowLabel}${s!.number}`)
  if (taken.length > 0) {
    const which = taken.length === 1 ? `Seat ${taken[0]} is` : `Seats ${taken.join(', ')} are`
    throw new AppError('SEAT_TAKEN', `${which} already taken`)
  }
  return chosen as SeatState[]
}

/** The runs of free seats side by side in a row, as [first, last] indexes: a taken seat or a gap in the numbering ends one. */
function freeRuns(row: SeatState[]): [number, number][] {
  const runs: [number, number][] = []
  for (let i = 0; i < row.length; i++) {
    const seat = row[i]!
    if (seat.taken) continue
    const last = runs.at(-1)
    const previous = row[i - 1]
    if (last && last[1] === i - 1 && previous && previous.number === seat.number - 1) last[1] = i
    else runs.push([i, i])
  }
  return runs
}

/**
 * The best block of `n` adjacent free seats. A block that would leave a single free seat alone beside it (between
 * it and a taken seat, an aisle or the row's end) is taken only when every row's blocks would; otherwise front
 * rows first, and in a row the block whose middle is closest to the row's middle (the left one on a tie). Null
 * when no row has `n` free seats side by side.
 */
export function bestAdjacentBlock(all: SeatState[], n: number, seatsPerRow: number): SeatState[] | null {
  const middle = (seatsPerRow + 1) / 2
  let stranding: SeatState[] | null = null
  for (const row of rowsOf(all)) {
    let best: { start: number; distance: number } | null = null
    let bestStranding: { start: number; distance: number } | null = null
    for (const [first, last] of freeRuns(row)) {
      for (let start = first; start + n - 1 <= last; start++) {
        const end = start + n - 1
        const distance = Math.abs((row[start]!.number + row[end]!.number) / 2 - middle)
        if (start - first === 1 || last - end === 1) {
          if (!bestStranding || distance < bestStranding.distance) bestStranding = { start, distance }
        } else if (!best || distance < best.distance) {
          best = { start, distance }
        }
      }
    }
    if (best) return row.slice(best.start, best.start + n)
    if (!stranding && bestStranding) stranding = row.slice(bestStranding.start, bestStranding.start + n)
  }
  return stranding
}

/**
 * Best available without `together`: one adjacent block when there is one (a group prefers to sit
 * together), else the best single seats: front rows first, then closest to the middle of the row.
 */
export function bestSeats(all: SeatState[], n: number, seatsPerRow: number): SeatState[] | null {
  const block = bestAdjacentBlock(all, n, seatsPerRow)
  if (block) return block
  const middle = (seatsPerRow + 1) / 2
  const free = all.filter((s) => !s.taken)
  if (free.length < n) return null
  free.sort(
    (a, b) =>
      a.rowIndex - b.rowIndex ||
      Math.abs(a.number - middle) - Math.abs(b.number - middle) ||
      a.number - b.number,
  )
  return free.slice(0, n).sort((a, b) => a.rowIndex - b.rowIndex || a.number - b.number)
}

function rowsOf(all: SeatState[]): SeatState[][] {
  const rows: SeatState[][] = []
  for (const seat of all) {
    const last = rows.at(-1)
    if (last && last[0]!.rowIndex === seat.rowIndex) last.push(seat)
    else rows.push([seat])
  }
  return rows
}
