// The number of tickets beside ticked friends, read the same way by the reserve and waiting-list forms: you and
// each friend count one ticket.

/** The number asked for: left at 1 (or empty) beside ticked friends, it is the party's size; else as typed. */
export const partyQuantity = (friends: number, typed: number | undefined): number | undefined =>
  friends > 0 && (typed ?? 1) === 1 ? 1 + friends : typed

/** The words for a count (tickets typed, seats ticked) that is not the party's size: the buyer's to mend. */
export function notTheParty(friends: number, what: 'tickets' | 'seats'): string {
  const who = friends === 1 ? 'You and 1 friend' : `You and ${friends} friends`
  const size = 1 + friends
  return what === 'seats'
    ? `${who} need ${size} seats: pick ${size}, or change who is coming`
    : `${who} make ${size} tickets: enter ${size}, or change who is coming`
}
