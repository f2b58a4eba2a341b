// How pages say amounts, times and availability: the e-mails' formats (one way to write a price or a time),
// and availability always in words.
import type { EventT, SectionT } from '../modules/events/events.schemas.js'

export { money, plural, when } from '../mail/format.js'

import { money } from '../mail/format.js'

/** A ticket's price as the pages say it: 'Free' for nothing to pay, not 'A$0.00'. */
export const price = (cents: number, currency: string): string =>
  cents === 0 ? 'Free' : money(cents, currency)

/** The lowest price of an event on its card: 'Free' when every section is, 'Free, or from A$50.00' when some are. */
export function lowestPrice(e: {
  min_price_cents: number
  currency: string
  sections: { price_cents: number }[]
}) {
  if (e.min_price_cents > 0) return `From ${money(e.min_price_cents, e.currency)}`
  const paid = e.sections.map((s) => s.price_cents).filter((c) => c > 0)
  return paid.length === 0 ? 'Free' : `Free, or from ${money(Math.min(...paid), e.currency)}`
}

export interface Availability {
  /** Words for it: "Sold out", "Only 3 left", … */
  text: string
  tone: 'ok' | 'few' | 'soldout'
}

/** A section's availability in words. Held tickets may come back when their hold lapses: say so. */
/** At or below this many places left, a section says "Only N left" (the live availability script reads it too). */
export const fewLeft = (s: Pick<SectionT, 'capacity'>): number => Math.max(5, Math.ceil(s.capacity * 0.1))

export function sectionAvailability(s: SectionT): Availability {
  if (s.available > 0) {
    const few = s.available <= fewLeft(s)
    return few
      ? { text: `Only ${s.available} left`, tone: 'few' }
      : { text: `${s.available} available`, tone: 'ok' }
  }
  if (s.held > 0) {
    return { text: 'Sold out for now: held by others, may free up in a few minutes', tone: 'soldout' }
  }
  return { text: 'Sold out', tone: 'soldout' }
}

export function eventAvailability(e: EventT): Availability {
  if (e.status === 'cancelled') return { text: 'Cancelled', tone: 'soldout' }
  if (e.status === 'draft') return { text: 'Draft (not published)', tone: 'few' }
  if (new Date(e.starts_at).getTime() < Date.now()) return { text: 'Has taken place', tone: 'soldout' }
  const available = e.sections.reduce((n, s) => n + s.available, 0)
  if (available === 0) return { text: 'Sold out', tone: 'soldout' }
  return e.sections.length === 1 ? sectionAvailability(e.sections[0]!) : { text: 'On sale', tone: 'ok' }
}

/** Plain text of at most `max` characters (for meta descriptions and cards). */
export function excerpt(text: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`
}

/**
 * The path of one of this site's own absolute URLs (an avatar's, built from PUBLIC_URL for API clients and
 * e-mails): pages load it from whatever host the visitor used, which the CSP's `'self'` allows.
 */
export function ownPath(url: string): string {
  const { pathname, search } = new URL(url, 'http://localhost')
  return `${pathname}${search}`
}

/**
 * Text for an attribute's value. `@kitajs/html` escapes only `"` in attributes, so a value holding `&amp;` or
 * `&lt;` as typed would reach the browser as `&` or `<`, and a form would send it back changed. Every attribute
 * that carries what people typed (an input's value, a label, a meta tag's content) goes through this.
 */
export function attr<T extends string | undefined>(text: T): T {
  return (text === undefined ? text : text.replaceAll('&', '&amp;')) as T
}
