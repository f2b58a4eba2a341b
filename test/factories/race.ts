// Controls of the race tests. A control runs a race test's scenario with one guard switched off and must then
// show the race. Whether one try shows it depends on timing, which a loaded machine (CI runs the suite twice,
// with other work) moves: a control that tries once can miss a race that is real. So a control runs its
// scenario again, each time on fresh data, until the race shows, at most `CONTROL_TRIES` times, and fails only
// when no try shows it. The guarded test beside it runs the same scenario and must never show it.

/** How many times a control may run its scenario before it gives up. */
export const CONTROL_TRIES = 5

/** A control's time budget: each of its tries may take what a guarded test does. */
export const CONTROL_TIMEOUT_MS = 180_000

/**
 * Runs `scenario` until `shows` is true of its outcome, at most `tries` times, and returns the outcome of the
 * try that showed the race (or of the last try, which the caller's assertions then fail on).
 */
export async function untilRaceShows<T>(
  label: string,
  scenario: (attempt: number) => Promise<T>,
  shows: (outcome: T) => boolean,
  tries = CONTROL_TRIES,
): Promise<T> {
  let outcome: T | undefined
  for (let attempt = 1; attempt <= tries; attempt++) {
    outcome = await scenario(attempt)
    const shown = shows(outcome)
    console.info(`control (${label}), try ${attempt} of ${tries}: race ${shown ? 'shown' : 'not shown'}`)
    if (shown) return outcome
  }
  return outcome as T
}
