// Renders an e-mail's HTML and plain-text bodies from its template pair and the shared layout (Eta).
import { fileURLToPath } from 'node:url'
import { Eta } from 'eta'
import { brand } from './brand.js'

// Next to this file in src/ (tsx) and in dist/ (the build script copies the folder).
const views = fileURLToPath(new URL('./templates', import.meta.url))
// The HTML engine escapes every `<%= %>` by default; the plain-text twin must not, or a name like
// "Tom & Jerry" would read "Tom &amp; Jerry". In plain text every newline counts, so nothing is trimmed
// there; `tidyText` folds the blank lines that control tags leave behind.
const htmlEngine = new Eta({ views, autoEscape: true, cache: true })
const textEngine = new Eta({ views, autoEscape: false, autoTrim: false, cache: true })

export const TEMPLATES = [
  'verify-email',
  'password-reset',
  'invoice-issued',
  'payment-receipt',
  'reservation-expired',
  'ticket-transferred',
  'event-cancelled',
  'event-changed',
  'ticket-refunded',
  'waitlist-offered',
  'email-changed',
  'staff-added',
] as const
export type TemplateName = (typeof TEMPLATES)[number]

export interface RenderedMail {
  subject: string
  html: string
  text: string
}

export function renderMail(
  template: TemplateName,
  subject: string,
  vars: Record<string, unknown>,
  publicUrl: string,
): RenderedMail {
  const data = { ...vars, subject, brand, publicUrl }
  return {
    subject,
    html: htmlEngine.render(`./${template}.html.eta`, data),
    text: tidyText(textEngine.render(`./${template}.text.eta`, data)),
  }
}

/** Template control lines leave blank lines behind; plain text reads better with at most one in a row. */
function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`
}
