// The concurrency guards a control test may switch off (UNSAFE_DISABLE_GUARDS, honoured only when NODE_ENV=test).
//
// Each race test on PostgreSQL has a control: the same scenario with the guard it relies on disabled, which
// must then show the race (an oversold section, a fifth ticket over the limit, an invoice charged twice ...).
// Each guard reads its switch in one seam, which holds the guarded code and its unguarded twin side by side;
// the services call the seam and never branch on a switch themselves.
import type { Config } from '../config.js'

export const GUARD_NAMES = [
  // The reservation statement's capacity check and claim; its control is the naive read-then-write
  // (box-office/reserve.controls.ts).
  'capacity',
  // The sections' row lock in the reservation statement, alone: the same batched path and claim without
  // the lock (box-office/reserve.controls.ts).
  'section-lock',
  // The advisory lock that makes counting and adding one user's tickets atomic (box-office/box-office.limits.ts),
  // for reservations and for waiting-list offers alike.
  'ticket-limit',
  // The invoice row lock under which a payment checks that the invoice is open and pays it
  // (box-office/pay.service.ts, lockOpenInvoice).
  'invoice-lock',
  // The claim of an Idempotency-Key before its work runs, and its at-most-once completion (lib/idempotency.ts).
  'idempotency',
  // The event row FOR SHARE a reservation holds until it commits, which a cancellation waits for
  // (box-office/reserve.controls.ts).
  'event-lock',
  // The reservation's and its invoices' row locks under which a hold is extended, so that an expiry or a payment
  // of the same invoices runs wholly before or after it (box-office/extend-hold.service.ts, lockHold).
  'extend-lock',
  // The section row lock under which the waiting list of a section is served: two runs that find the same
  // places one after the other, never both the same entry (waitlist.serve.ts).
  'waitlist',
  // The conditional update that counts a voucher's use only while uses < max_uses (vouchers.service.ts).
  'voucher',
  // The conditional update that checks a ticket in only while checked_in_at is null; its control reads, then
  // writes (box-office/checkin.service.ts).
  'check-in',
  // The catalogue's shared version stamp that every process checks before serving a cached page
  // (events/catalogue-version.ts); without it each process only knows of its own writes.
  'catalogue-version',
  // A webhook job is completed only after its attempt is recorded, so a worker killed mid-attempt leaves the job
  // to run again (webhooks/webhooks.deliver.ts); without it the job is acknowledged first and the delivery lost.
  'webhook-ack',
  // A webhook attempt is recorded only while the delivery still counts the attempts before it, so two runs of the
  // same attempt (a redelivery beside a retry, a job handed on) record it once and schedule one next attempt.
  'webhook-attempt',
  // The cluster primary's backoff before re-forking a server process that keeps dying (cluster.ts).
  'fork-backoff',
  // A server's graceful shutdown: finish the requests in flight before exiting (server-process.ts).
  'graceful-shutdown',
  // The shutdown waits for each request's handler to answer, not only for its response to close: a client that
  // hangs up does not cut its handler's work short (plugins/drain.ts).
  'drain-handlers',
] as const

export type GuardName = (typeof GUARD_NAMES)[number]

type GuardConfig = Pick<Config, 'NODE_ENV' | 'UNSAFE_DISABLE_GUARDS'>

/** True when a control test switched `name` off; never outside NODE_ENV=test. */
export function guardDisabled(config: GuardConfig, name: GuardName): boolean {
  return config.NODE_ENV === 'test' && config.UNSAFE_DISABLE_GUARDS.includes(name)
}
