// Writing reservations through the reservation statement (reserve.statement.ts): the inputs as its JSON
// parameters, and an outcome per input (a written one is the API's Reservation as the statement built it).
import type { Config } from '../../config.js'
import { type Db, runStatement } from '../../db/client.js'
import { retryPolicy } from '../../jobs/queue.js'
import { avatarUrlPrefix } from '../users/users.schemas.js'
import type { ReservationT } from './box-office.schemas.js'
import { lockEventStatementFor, writeStatementFor } from './reserve.controls.js'

/**
 * Locks the event FOR SHARE while it is on sale (false when it no longer is), as WRITE_RESERVATIONS' `ev`
 * does: for a transaction that takes other locks before writing. Every box-office transaction locks the
 * event before invoices and sections (a cancellation does the same), so none of them deadlock.
 */
export async function lockEventOnSale(tx: Db, config: Config, eventId: number): Promise<boolean> {
  return (await runStatement(tx, lockEventStatementFor(config), [eventId])).length > 0
}

export interface WriteInput {
  eventId: number
  sectionId: number
  bookerId: number
  /** The holder of each ticket, booker first. */
  holders: number[]
  /** The seat of each ticket, in the same order; empty in a general section. */
  seats: { id: number }[]
  split: boolean
  /** A voucher's discount on each ticket (checked and counted by the caller), or none. */
  discount?: { kind: 'percent' | 'amount'; value: number } | null
  /**
   * The booker's access token (its session and token ids), when the statement is the one that checks it in the
   * database; none when the caller has checked it.
   */
  token?: { sessionId: string; jti: string } | null
}

export type WriteOutcome =
  | { kind: 'written'; reservation: ReservationT }
  /** The booker's token (`WriteInput.token`) no longer holds: nothing was written. */
  | { kind: 'revoked' }
  | { kind: 'not-on-sale' }
  /**
   * With `commonOnly`: not a general section of this event, the event has a per-user limit, or the booker's
   * live holds need the careful check of MAX_HELD_TICKETS_PER_EVENT.
   */
  | { kind: 'not-common' }
  /** `lapsedHolds`: the event has open invoices past due that the sweep has not expired yet. */
  | { kind: 'no-capacity'; lapsedHolds: boolean }
  /**
   * The section has room, but someone waits in it: the places may be owed to a waiting entry. The caller serves
   * the waiting list first and writes after it, in one transaction (waitlist.serve.ts, serveAhead).
   */
  | { kind: 'waitlist-first' }

/**
 * Claims and writes reservations in one statement on `tx` (see WRITE_RESERVATIONS): an outcome per input, in
 * their order. Each is granted or refused on its own, as if they had come one by one in this order.
 */
export async function writeReservations(
  tx: Db,
  config: Config,
  inputs: WriteInput[],
  opts: {
    commonOnly: boolean
    ttlSeconds?: number
    /**
     * This transaction has served the section's waiting list under the section's lock (or is the waiting list
     * making an offer): write even though someone waits there. Otherwise a section with room where someone
     * waits answers `waitlist-first`.
     */
    waitlistServed?: boolean
  },
): Promise<WriteOutcome[]> {
  const year = new Date().getUTCFullYear()
  const retry = retryPolicy(config)
  const reservations = inputs.map((r, k) => ({
    i: k + 1,
    event_id: r.eventId,
    section_id: r.sectionId,
    booker_id: r.bookerId,
    split: r.split,
    vkind: r.discount?.kind ?? null,
    vvalue: r.discount?.value ?? null,
    sid: r.token?.sessionId ?? null,
    jti: r.token?.jti ?? null,
  }))
  const tickets = inputs.flatMap((r, k) =>
    r.holders.map((holder, n) => ({ i: k + 1, holder, seat: r.seats[n]?.id ?? null })),
  )
  const rows = await runStatement<{
    i: number
    authorized: boolean
    on_sale: boolean
    eligible: boolean
    lapsed: boolean
    queued: boolean
    reservation: ReservationT | null
  }>(tx, writeStatementFor(config), [
    JSON.stringify(reservations),
    JSON.stringify(tickets),
    opts.ttlSeconds ?? config.RESERVATION_TTL,
    `INV-${year}-`,
    retry.retryLimit,
    retry.retryDelay,
    retry.retryBackoff,
    retry.expireInSeconds,
    opts.commonOnly,
    config.MAX_HELD_TICKETS_PER_EVENT,
    avatarUrlPrefix(config),
    !opts.waitlistServed,
  ])
  return inputs.map((_, i): WriteOutcome => {
    const row = rows[i]
    if (row && !row.authorized) return { kind: 'revoked' }
    if (!row?.on_sale) return { kind: 'not-on-sale' }
    if (!row.eligible) return { kind: 'not-common' }
    if (!row.reservation && row.queued) return { kind: 'waitlist-first' }
    if (!row.reservation) return { kind: 'no-capacity', lapsedHolds: row.lapsed }
    return { kind: 'written', reservation: row.reservation }
  })
}
