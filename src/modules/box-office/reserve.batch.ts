// Reservations that arrive together are written together: while a process's reservation statements are in
// flight, the requests that come meanwhile queue and then go as one statement (WRITE_RESERVATIONS), so the
// statement, its round trip, its locks and its commit are paid once for all of them. An idle process sends
// each at once, alone: batching costs no latency when there is nothing to batch.
import type { Ctx } from '../../context.js'
import { pgErrorCode } from '../../db/errors.js'
import { type WriteInput, type WriteOutcome, writeReservations } from './reserve.write.js'

/** Statements in flight at once per process: one being run while the next batch gathers. */
const IN_FLIGHT = 2

interface Pending {
  input: WriteInput
  resolve: (outcome: WriteOutcome) => void
  reject: (err: unknown) => void
}

/** Errors that belong to one reservation of a batch (integrity, data) or to its timing (deadlock, serialisation). */
const perReservation = (err: unknown) => /^(22|23|40)/.test(pgErrorCode(err) ?? '')

/** How long this process remembers a section it found sold out (a hint only; see `mayHaveRoom`). */
const SOLD_OUT_HINT_MS = 5_000
const SOLD_OUT_HINTS_MAX = 10_000

class ReservationBatcher {
  private readonly queue: Pending[] = []
  private inFlight = 0
  private scheduled = false
  /** Sections this process found full, with when that was. */
  private readonly soldOut = new Map<number, number>()

  constructor(private readonly ctx: Ctx) {}

  mayHaveRoom(sectionId: number): boolean {
    const since = this.soldOut.get(sectionId)
    if (since === undefined) return true
    if (Date.now() - since < SOLD_OUT_HINT_MS) return false
    this.soldOut.delete(sectionId)
    return true
  }

  noteSoldOut(sectionId: number, full: boolean): void {
    if (!full) {
      this.soldOut.delete(sectionId)
      return
    }
    if (this.soldOut.size >= SOLD_OUT_HINTS_MAX) this.soldOut.clear()
    this.soldOut.set(sectionId, Date.now())
  }

  write(input: WriteInput): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject })
      this.schedule()
    })
  }

  // After the I/O callbacks of this turn of the event loop: the requests that became ready together go together.
  private schedule(): void {
    if (this.scheduled || this.inFlight >= IN_FLIGHT || this.queue.length === 0) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      const batch = this.queue.splice(0, this.ctx.config.RESERVATION_BATCH_SIZE)
      this.inFlight++
      void this.run(batch).finally(() => {
        this.inFlight--
        this.schedule()
      })
      this.schedule()
    })
  }

  private async run(batch: Pending[]): Promise<void> {
    try {
      const outcomes = await writeReservations(
        this.ctx.db,
        this.ctx.config,
        batch.map((p) => p.input),
        { commonOnly: true },
      )
      for (const [i, p] of batch.entries()) p.resolve(outcomes[i]!)
    } catch (err) {
      if (batch.length === 1 || !perReservation(err)) {
        for (const p of batch) p.reject(err)
        return
      }
      // One reservation's failure (a holder deleted meanwhile ...) must not fail the others: each once more
      // on its own, one after the other.
      for (const p of batch) {
        await writeReservations(this.ctx.db, this.ctx.config, [p.input], { commonOnly: true }).then(
          ([o]) => p.resolve(o!),
          p.reject,
        )
      }
    }
  }
}

const batchers = new WeakMap<Ctx, ReservationBatcher>()

function batcherOf(ctx: Ctx): ReservationBatcher {
  let batcher = batchers.get(ctx)
  if (!batcher) {
    batcher = new ReservationBatcher(ctx)
    batchers.set(ctx, batcher)
  }
  return batcher
}

/**
 * Writes a reservation of the common case (a general section of an event without a per-user limit; any other
 * is left alone: "not common") in autocommit, in a batch with those that arrive meanwhile in this process (at
 * most RESERVATION_BATCH_SIZE per statement). Its outcome is its own, as if it had been written alone.
 */
export function writeBatched(ctx: Ctx, input: WriteInput): Promise<WriteOutcome> {
  return batcherOf(ctx).write(input)
}

/**
 * Whether a write is worth trying in this section: false when this process found it sold out in the last few
 * seconds. Only a hint, to spare the crowd after a sell-out the write (its statement is far dearer than a
 * read): such a request reads the section first, and the read decides.
 */
export function mayHaveRoom(ctx: Ctx, sectionId: number): boolean {
  return batcherOf(ctx).mayHaveRoom(sectionId)
}

/** Tells the hint what a write or a read found: the section `full`, or not. */
export function noteSoldOut(ctx: Ctx, sectionId: number, full: boolean): void {
  batcherOf(ctx).noteSoldOut(sectionId, full)
}
