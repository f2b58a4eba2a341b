// The seat-choice rules on their own (pure functions, no database).
import { describe, expect, it } from 'vitest'
import {
  bestAdjacentBlock,
  bestSeats,
  exactSeats,
  type SeatState,
} from '../../src/modules/box-office/reserve.seats.js'

/** A seat map from rows of '.' (free) and 'x' (taken), e.g. ['..x..', '.....']. */
function map(rows: string[]): SeatState[] {
  let id = 0
  return rows.flatMap((row, r) =>
    [...row].map((c, i) => ({
      id: ++id,
      rowIndex: r,
      rowLabel: String.fromCharCode(65 + r),
      number: i + 1,
      taken: c === 'x',
    })),
  )
}
const labels = (seats: SeatState[] | null) => seats?.map((s) => `${s.rowLabel}${s.number}`) ?? null

describe('bestAdjacentBlock', () => {
  it('when the front row has room, then its most central block is chosen', () => {
    expect(labels(bestAdjacentBlock(map(['.......', '.......']), 3, 7))).toEqual(['A3', 'A4', 'A5'])
  })
  it('when the centre of the front row is taken, then the block closest to the centre in that row wins over a later row', () => {
    expect(labels(bestAdjacentBlock(map(['..x....', '.......']), 2, 7))).toEqual(['A4', 'A5'])
  })
  it('when no run in a row is long enough, then the next row is used, leaving no seat alone', () => {
    expect(labels(bestAdjacentBlock(map(['..x..', '.....']), 3, 5))).toEqual(['B1', 'B2', 'B3'])
  })
  it('when the most central block would leave a single seat alone, then the next block that does not is chosen', () => {
    // Two in an empty row of five: A2–A3 would strand A1, A3–A4 A5.
    expect(labels(bestAdjacentBlock(map(['.....']), 2, 5))).toEqual(['A1', 'A2'])
    // Beside a taken seat too.
    expect(labels(bestAdjacentBlock(map(['x......']), 2, 7))).toEqual(['A4', 'A5'])
  })
  it('when every block of the front row would leave a seat alone, then a later row that does not wins', () => {
    expect(labels(bestAdjacentBlock(map(['x...x', '.....']), 2, 5))).toEqual(['B1', 'B2'])
  })
  it('when every block of every row would leave a seat alone, then the best of them is taken', () => {
    expect(labels(bestAdjacentBlock(map(['x...x', 'x...x']), 2, 5))).toEqual(['A2', 'A3'])
  })
  it('when no row has the run, then null', () => {
    expect(bestAdjacentBlock(map(['.x.x.', 'x.x.x']), 2, 5)).toBeNull()
  })
})

describe('bestSeats', () => {
  it('when an adjacent block exists, then it is preferred', () => {
    expect(labels(bestSeats(map(['x.x..', '.....']), 2, 5))).toEqual(['A4', 'A5'])
  })
  it('when none exists, then the front-most, most central single seats are taken', () => {
    expect(labels(bestSeats(map(['.x.x.', 'x.x.x']), 3, 5))).toEqual(['A1', 'A3', 'A5'])
  })
  it('when fewer seats are free than asked, then null', () => {
    expect(bestSeats(map(['xx.', 'xxx']), 2, 3)).toBeNull()
  })
})

describe('exactSeats', () => {
  it('when a seat is taken, then SEAT_TAKEN', () => {
    expect(() => exactSeats(map(['.x.']), [1, 2])).toThrow(expect.objectContaining({ code: 'SEAT_TAKEN' }))
  })
  it('when a seat is not in the section, then VALIDATION_FAILED', () => {
    expect(() => exactSeats(map(['...']), [9])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    )
  })
})
