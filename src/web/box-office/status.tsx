// Ticket and invoice statuses as pages show them: always a word, with an icon beside it (never the icon alone).
import type { InvoiceT, TicketT } from '../../modules/box-office/box-office.schemas.js'

const TICKET: Record<TicketT['status'], { word: string; icon: string; tone: string }> = {
  held: { word: 'Held, awaiting payment', icon: '○', tone: 'few' },
  confirmed: { word: 'Confirmed', icon: '✓', tone: 'ok' },
  cancelled: { word: 'Cancelled', icon: '✕', tone: 'soldout' },
  expired: { word: 'Expired', icon: '⊘', tone: 'soldout' },
}

const INVOICE: Record<InvoiceT['status'], { word: string; icon: string; tone: string }> = {
  open: { word: 'Open, to pay', icon: '●', tone: 'few' },
  paid: { word: 'Paid', icon: '✓', tone: 'ok' },
  expired: { word: 'Expired', icon: '⊘', tone: 'soldout' },
  void: { word: 'Void', icon: '✕', tone: 'soldout' },
  refunded: { word: 'Refunded', icon: '↩', tone: 'soldout' },
}

function Badge(p: { word: string; icon: string; tone: string }): JSX.Element {
  return (
    <span class={`badge badge-${p.tone}`}>
      <span aria-hidden="true" safe>
        {p.icon}
      </span>{' '}
      <span safe>{p.word}</span>
    </span>
  )
}

export const TicketStatus = (p: { status: TicketT['status'] }) => <Badge {...TICKET[p.status]} />
export const InvoiceStatus = (p: { status: InvoiceT['status'] }) => <Badge {...INVOICE[p.status]} />

/** "Row B, seat 7", or "General admission". */
export function seatText(t: Pick<TicketT, 'seat'>): string {
  return t.seat ? `Row ${t.seat.row}, seat ${t.seat.number}` : 'General admission'
}

/**
 * Where a ticket is, in a line: "A · Row B, seat 7", "VIP · General admission", or a general section named
 * "General Admission" alone (not "General Admission · General admission").
 */
export function placeText(t: Pick<TicketT, 'seat'> & { section: { name: string } }): string {
  const seat = seatText(t)
  return !t.seat && t.section.name.trim().toLowerCase() === seat.toLowerCase()
    ? t.section.name
    : `${t.section.name} · ${seat}`
}

/** How a page names a person: "You", their display name (with the username when `full`), or a deleted account. */
export function personName(
  who: { id: number; display_name: string; username: string } | null,
  me: number | undefined,
  full = false,
): string {
  if (!who) return 'Deleted account'
  if (who.id === me) return 'You'
  return full ? `${who.display_name} (@${who.username})` : who.display_name
}
