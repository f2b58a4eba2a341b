// How amounts, times and counts read in e-mails (times in UTC: the server does not know the reader's zone).
import { formatMoney } from '../lib/money.js'

/** An amount in minor units as an e-mail shows it: "€15.00", "¥1,500" (lib/money.ts knows each currency's decimals). */
export function money(minor: number, currency: string): string {
  return formatMoney(minor, currency, 'symbol')
}

const dateTime = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})

export function when(iso: string | Date): string {
  return `${dateTime.format(new Date(iso))} UTC`
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

export function duration(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, 'day')
  if (seconds % 3600 === 0) return plural(seconds / 3600, 'hour')
  return plural(Math.round(seconds / 60), 'minute')
}
