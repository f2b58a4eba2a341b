// The test-only controls of the reservation statement's guards (UNSAFE_DISABLE_GUARDS, honoured only when
// NODE_ENV=test): each is the statement with that one guard taken out, chosen here and nowhere else, so that a
// control runs the same path (the batch, the service's paths) as the guarded test it must be able to fail.
import type { Config } from '../../config.js'
import type { Statement } from '../../db/client.js'
import { type GuardName, guardDisabled } from '../../lib/guards.js'
import { LOCK_EVENT, WRITE_RESERVATIONS } from './reserve.statement.js'

/** `base` with each `from` replaced by its `to`, each checked to be there. */
function variant(base: Statement, name: string, edits: [from: string, to: string][]): Statement {
  let text = base.text
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`control ${name} not built: ${JSON.stringify(from)} not found`)
    text = text.replace(from, to)
  }
  return { name, text }
}

/** A pause after the statement's snapshot (a test-only widening) so that two statements in flight overlap. */
const PAUSE = (seconds: number) => `(select true from pg_sleep(${seconds}))`

const WRITE_CONTROLS: Partial<Record<GuardName, Statement>> = {
  // The naive read-then-write: the free places counted from the live tickets without any lock, and nothing
  // claimed. It leaves the counters alone on purpose: even an unconditional `held = held + n` would be stopped
  // by the CHECK backstop and turn the oversell into errors instead of showing the race.
  capacity: variant(WRITE_RESERVATIONS, 'reservations_write_unguarded', [
    [
      's.capacity - s.held - s.sold as free',
      "s.capacity - (select count(*)::int from tickets t where t.section_id = s.id and t.status in ('held', 'confirmed')) as free",
    ],
    [
      'and s.held + s.sold < s.capacity\n  order by s.id\n  for update of s\n',
      `and ${PAUSE(0.2)}\n  order by s.id\n`,
    ],
    ['where s.id = g.section_id', 'where false and s.id = g.section_id'],
  ]),
  // Only the sections' FOR UPDATE taken out: the same batched statement, the same claim. Two statements in
  // flight then both read the same free places, and the second's claim adds its tickets on top of the first's.
  'section-lock': variant(WRITE_RESERVATIONS, 'reservations_write_section_unlocked', [
    ['\n  order by s.id\n  for update of s\n', `\n    and ${PAUSE(0.2)}\n  order by s.id\n`],
  ]),
  // Without the events' FOR SHARE, so that a cancellation no longer waits for the statement, with a pause
  // after its snapshot in which the cancellation can commit unseen.
  'event-lock': variant(WRITE_RESERVATIONS, 'reservations_write_event_unlocked', [
    ['\n  order by id\n  for share\n', `\n  and ${PAUSE(0.3)}\n`],
  ]),
  // The default cap on live holds counted from the statement's own snapshot, without the advisory lock and
  // without keeping one request per booker in a batch: requests of one buyer in flight together all count the
  // same holds. (The careful path's lock is taken out by the same switch, in box-office.limits.ts.)
  'ticket-limit': variant(WRITE_RESERVATIONS, 'reservations_write_hold_cap_unlocked', [
    [
      'c.nth = 1 and box_office_live_holds(c.event_id, c.booker_id)',
      `${PAUSE(0.2)} and (select count(*)::int from tickets t join reservations r on r.id = t.reservation_id
          where t.event_id = c.event_id and t.booker_id = c.booker_id and t.status = 'held'
            and r.expires_at > now())`,
    ],
  ]),
}

const LOCK_EVENT_CONTROLS: Partial<Record<GuardName, Statement>> = {
  // The on-sale check without the lock a cancellation waits for.
  'event-lock': variant(LOCK_EVENT, 'reservation_lock_event_unlocked', [[' for share', '']]),
}

function chosen(
  config: Config,
  guarded: Statement,
  controls: Partial<Record<GuardName, Statement>>,
): Statement {
  for (const [guard, control] of Object.entries(controls) as [GuardName, Statement][]) {
    if (guardDisabled(config, guard)) return control
  }
  return guarded
}

/** WRITE_RESERVATIONS, or the control of the guard a control test switched off. */
export const writeStatementFor = (config: Config): Statement =>
  chosen(config, WRITE_RESERVATIONS, WRITE_CONTROLS)

/** LOCK_EVENT, or its control. */
export const lockEventStatementFor = (config: Config): Statement =>
  chosen(config, LOCK_EVENT, LOCK_EVENT_CONTROLS)
