// How amounts, times and counts read in e-mails: an event's times on its own zone's clock, other times in UTC
// (the server does not know the reader's zone).
import { formatMoney } from '../lib/money.js'
import { DEFAULT_TIME_ZONE } from '../lib/time-zones.js'

/** An amount in minor units as an e-mail shows it: "€15.00", "¥1,500" (lib/money.ts knows each currency's decimals). */
export function money(minor: number, currency: string): string {
  return formatMoney(minor, currency, 'symbol')
}

// A time as "7 Dec 2026, 20:30 CET": the day, the 24-hour clock and the zone's short name (or offset), one
// formatter per zone, made when first asked for.
const formats = new Map<string, Intl.DateTimeFormat>()

function formatIn(zone: string): Intl.DateTimeFormat {
  let format = formats.get(zone)
  if (!format) {
    const options: Intl.DateTimeFormatOptions = {
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    }
    try {
      format = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: zone })
    } catch {
      // A zone Intl does not know (written past the API's check): UTC, labelled as such, rather than no page.
      format = formatIn(DEFAULT_TIME_ZONE)
    }
    formats.set(zone, format)
  }
  return format
}

/** A time on the clock of `zone`: an event's own times in the event's zone, every other time in UTC. */
export function when(iso: string | Date, zone: string = DEFAULT_TIME_ZONE): string {
  return formatIn(zone).format(new Date(iso))
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

export function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, 'day')
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour')
  return plural(Math.round(seconds / 60), 'minute')
}
