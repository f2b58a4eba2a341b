// Time zones: the IANA names an event is given (Europe/Berlin), and its times as the wall clock there reads them.
// The instants themselves are stored and exchanged as instants (ISO 8601 in the API); a zone only changes how a
// time is shown, typed in a form and counted by day.
import { TZDate } from '@date-fns/tz'

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

const WALL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/

/**
 * The instant a wall-clock time "2026-12-31T19:30" (a datetime-local input) names in `zone`, as ISO 8601; null
 * when it is not such a time. A time the clocks skip (02:30 on the night they go forward) is read as the same
 * time after the change (03:30), and a time they pass twice as the first of the two.
 */
export function instantOf(wall: string, zone: string): string | null {
  const m = WALL_TIME.exec(wall)
  if (!m) return null
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number]
  // A day past its month's end (31 April) would roll into the next month: it is no time at all.
  const day = new Date(Date.UTC(y, mo - 1, d))
  if (mo < 1 || mo > 12 || day.getUTCDate() !== d || h > 23 || mi > 59) return null
  return new Date(new TZDate(y, mo - 1, d, h, mi, zone).getTime()).toISOString()
}

const two = (n: number) => String(n).padStart(2, '0')

/** The wall-clock time an instant reads in `zone`, as a datetime-local input holds it: "2026-12-31T19:30". */
export function wallTimeOf(instant: string | Date, zone: string): string {
  const at = new TZDate(new Date(instant).getTime(), zone)
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}T${two(at.getHours())}:${two(at.getMinutes())}`
}
