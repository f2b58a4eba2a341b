// The concurrency guards a control test may switch off (UNSAFE_DISABLE_GUARDS, honoured only when NODE_ENV=test).
//
// Each race test on PostgreSQL has a control: the same scenario with the guard it relies on disabled, which
// must then show the race (an oversold section, a fifth ticket over the limit, an invoice charged twice ...).
// A guard's code reads its switch through `guardDisabled` and keeps the unguarded variant in one commented
// branch beside the real one.
import type { Config } from '../config.js'

export const GUARD_NAMES = [
  // The conditional counter update that claims section capacity (reservations.capacity.ts).
  'capacity',
  // The advisory lock that makes counting and adding one user's tickets atomic (reservations.access.ts).
  'ticket-limit',
  // The invoice row lock under which a payment checks that the invoice is open and pays it (invoices.service.ts).
  'invoice-lock',
  // The claim of an Idempotency-Key before its work runs, and its at-most-once completion (lib/idempotency.ts).
  'idempotency',
  // The event row FOR SHARE a reservation holds until it commits, which a cancellation waits for
  // (reservations.write.ts).
  'event-lock',
] as const

export type GuardName = (typeof GUARD_NAMES)[number]

type GuardConfig = Pick<Config, 'NODE_ENV' | 'UNSAFE_DISABLE_GUARDS'>

/** True when a control test switched `name` off; never outside NODE_ENV=test. */
export function guardDisabled(config: GuardConfig, name: GuardName): boolean {
  return config.NODE_ENV === 'test' && config.UNSAFE_DISABLE_GUARDS.includes(name)
}
