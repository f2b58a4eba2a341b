// Seat-map geometry shared by section creation and anything that lays out seats: rows A, B, … Z, AA, AB, …

/** The label of the row at `index` (0 → A, 25 → Z, 26 → AA). */
export function rowLabel(index: number): string {
  let n = index
  let label = ''
  do {
    label = String.fromCharCode(65 + (n % 26)) + label
    n = Math.floor(n / 26) - 1
  } while (n >= 0)
  return label
}

/** Every seat of a `rows` × `seatsPerRow` section, front row first, numbered 1..seatsPerRow. */
export function seatGrid(sectionId: number, rows: number, seatsPerRow: number) {
  const seats: { sectionId: number; rowIndex: number; rowLabel: string; number: number }[] = []
  for (let r = 0; r < rows; r++) {
    const label = rowLabel(r)
    for (let n = 1; n <= seatsPerRow; n++) seats.push({ sectionId, rowIndex: r, rowLabel: label, number: n })
  }
  return seats
}
