// Time zones: the IANA names an event is given (Europe/Berlin), and its times as the wall clock there reads them.
// The instants themselves are stored and exchanged as instants (ISO 8601 in the API); a zone only changes how a
// time is shown, typed in a form and counted by day.
import { TZDate } from '@date-fns/tz'
import { isDateTime } from './schemas.js'

/** The zone of an event that names none, and of every time that belongs to no event. */
export const DEFAULT_TIME_ZONE = 'UTC'

/** A name's shape: "UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires" (no offsets, no spaces, no dots). */
const NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/

/** The zones a form offers (Intl's list, by their canonical names), UTC first. */
export const TIME_ZONES: readonly string[] = [
  DEFAULT_TIME_ZONE,
  ...Intl.supportedValuesOf('timeZone').filter((z) => z !== DEFAULT_TIME_ZONE),
]

const SPELLING = new Map(TIME_ZONES.map((z) => [z.toLowerCase(), z]))

/**
 * The zone `name` names, as it is stored: its listed spelling whatever the case ("europe/berlin" →
 * "Europe/Berlin"), or, for a name Intl knows by another (Asia/Kolkata, listed as Asia/Calcutta), the name as
 * given. null when it names no zone.
 */
export function timeZoneNamed(name: string): string | null {
  if (name.length > 64 || !NAME.test(name)) return null
  const listed = SPELLING.get(name.toLowerCase())
  if (listed) return listed
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return name
  } catch {
    return null
  }
}

/** A datetime-local value: "2026-12-31T19:30", with seconds when a browser sends them, or a space for the T. */
const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?$/

const two = (n: number) => String(n).padStart(2, '0')

/** The zone's offset from UTC at an instant, in milliseconds (+2 h for Berlin in summer). */
const offsetAt = (instant: number, zone: string) => -new TZDate(instant, zone).getTimezoneOffset() * 60_000

/**
 * The instant a wall-clock time "2026-12-31T19:30" (a datetime-local input) names in `zone`, as ISO 8601; null
 * when it is not such a time. One rule in every zone, as Temporal's "compatible" has it: a time the clocks pass
 * twice (02:30 on the night they go back) is the first of the two, and a time they skip (02:30 on the night they
 * go forward) is read with the offset before the change, so it lands after it (03:30).
 */
export function instantOf(wall: string, zone: string): string | null {
  const m = WALL_TIME.exec(wall)
  if (!m) return null
  const asTyped = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`
  // A time that exists (isDateTime: a real day of its month, hours and minutes in range). A year under 100 is
  // left for the schema to refuse (it would be 19xx to anything that reads two-digit years).
  if (Number(m[1]) < 100 || !isDateTime(asTyped)) return null
  const asUtc = Date.parse(asTyped)
  // The offsets a day before and a day after (either side of any change near that time); a candidate counts
  // when it reads back as typed.
  const before = offsetAt(asUtc - 86_400_000, zone)
  const after = offsetAt(asUtc + 86_400_000, zone)
  const readsBack = [asUtc - before, asUtc - after].filter((t) => t + offsetAt(t, zone) === asUtc)
  const at = readsBack.length > 0 ? Math.min(...readsBack) : asUtc - before
  return new Date(at).toISOString()
}

/** The wall-clock time an instant reads in `zone`, as a datetime-local input holds it: "2026-12-31T19:30". */
export function wallTimeOf(instant: string | Date, zone: string): string {
  const at = new TZDate(new Date(instant).getTime(), zone)
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`
}

/**
 * An instant as ISO 8601 on the clock of `zone`, with that zone's offset then ("2027-07-01T20:00:00.000+02:00",
 * as search engines read an event's local start); in UTC, with its Z.
 */
export function isoOnClock(instant: string, zone: string): string {
  return zone === DEFAULT_TIME_ZONE
    ? new Date(instant).toISOString()
    : new TZDate(Date.parse(instant), zone).toISOString()
}

// The years a time may fall in: every zone's clock reads it with four digits, and PostgreSQL's dates and
// JavaScript's agree on it (a year under 100 is read as 19xx by some date parsers).
const EARLIEST = Date.UTC(1900, 0, 1)
const LATEST = Date.UTC(9999, 11, 30)

/** Why a time out of those years is refused, as an API error's message. */
export const OUT_OF_YEARS = 'must be in the years 1900 to 9999'

/** Whether an ISO 8601 time falls in the years times may have. */
export function withinYears(iso: string): boolean {
  const at = Date.parse(iso)
  return at >= EARLIEST && at < LATEST
}
