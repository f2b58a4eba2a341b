// Writing a reservation: one statement that claims the section's capacity and writes the reservation, its
// tickets, its invoices and their lines and the invoice e-mails' jobs, and answers with everything the
// response shows.
import type { Config } from '../../config.js'
import { type Db, runStatement, type Statement } from '../../db/client.js'
import { jobInsertSql, MAIL_QUEUE } from '../../jobs/boss.js'
import { retryPolicy } from '../../jobs/queue.js'
import { guardDisabled } from '../../lib/guards.js'
import { toInvoice } from '../invoices/invoices.queries.js'
import { toTicket } from '../tickets/tickets.queries.js'
import type { ReservationT } from './reservations.schemas.js'

/**
 * $1 event, $2 section, $3 booker, $4 the holder of each ticket (booker first), $5 the seat of each ticket
 * (an empty array in a general section), $6 split payment, $7 the hold's lifetime in seconds, $8 the invoice
 * number prefix, $9 whether this statement claims the capacity (false only in the test-only unguarded
 * control, which stands for the naive read-then-write).
 *
 * - `ev` locks the event FOR SHARE until commit, and only while it is on sale: a cancellation (which updates
 *   the row) waits for reservations in flight, and one that committed first leaves `ev` empty.
 * - `claim` is the capacity guard: a conditional UPDATE (`held + sold + n <= capacity`), which PostgreSQL
 *   re-checks against the newest committed row after waiting for its lock, so two buyers can never both take
 *   the last places, whatever the number of processes. Its row lock is held until commit.
 * - Everything after it reads `sec`, which is empty when the claim failed: then nothing is written, and the
 *   answer's `written` is null (`on_sale` tells a sold-out section from an event no longer on sale, and
 *   `lapsed` whether lapsed holds the sweep has not reached yet may be what fills it).
 * - Prices come from the section row claimed here, never from the request; due_at is the hold's expiry,
 *   both on the database's clock, the one every expiry check compares against.
 * - One invoice per payer (each holder with split payment, else the booker), numbered from
 *   invoice_number_seq in payer order (the booker's first); a line per ticket.
 * - `jobs` enqueues each payer's invoice-issued e-mail (pg-boss's own insert, fed from `inv`), with the retry
 *   policy of $10…$13: a reservation exists if and only if its e-mails do.
 *
 * Committed on its own (the common case) it holds the section's row lock only while PostgreSQL runs it,
 * never across a round trip to this process.
 */
const WRITE_RESERVATION: Statement = {
  name: 'reservation_write',
  text: `
with ev as (
  select id, title, currency, starts_at from events
  where id = $1 and status = 'published' and starts_at > now()
  for share
),
claim as (
  update sections s set held = s.held + cardinality($4::int[]), updated_at = now()
  from ev
  where $9::boolean and s.id = $2 and s.event_id = ev.id
    and s.held + s.sold + cardinality($4::int[]) <= s.capacity
  returning s.id, s.name, s.price_cents
),
sec as (
  select id, name, price_cents from claim
  union all
  select s.id, s.name, s.price_cents from sections s join ev on s.event_id = ev.id
  where not $9::boolean and s.id = $2
),
wanted as (
  select h.holder, h.seat, h.ord, case when $6::boolean then h.holder else $3::int end as payer
  from unnest($4::int[], $5::int[]) with ordinality as h(holder, seat, ord)
),
res as (
  insert into reservations (event_id, booker_id, expires_at)
  select $1, $3, now() + make_interval(secs => $7::int) from sec
  returning id, expires_at, created_at
),
tk as (
  insert into tickets (reservation_id, event_id, section_id, seat_id, holder_id, booker_id, price_cents)
  select res.id, $1, sec.id, w.seat, w.holder, $3, sec.price_cents
  from res, sec, wanted w
  order by w.ord
  returning id, seat_id, holder_id, created_at
),
inv as (
  insert into invoices (number, reservation_id, event_id, payer_id, amount_cents, currency, due_at)
  select $8::text || lpad(nextval('invoice_number_seq')::text, 6, '0'), res.id, $1, p.payer,
         p.n * sec.price_cents, ev.currency, res.expires_at
  from (select payer, count(*)::int as n, min(ord) as first from wanted group by payer) p, res, sec, ev
  order by p.first
  returning id, number, payer_id, amount_cents, currency, due_at, created_at
),
lines as (
  insert into invoice_lines (invoice_id, ticket_id, description, amount_cents)
  select inv.id, tk.id,
         ev.title || ': ' || sec.name || coalesce((select ', row ' || st.row_label || ' seat ' || st.number
                                                   from seats st where st.id = tk.seat_id), ''),
         sec.price_cents
  from tk
  join inv on inv.payer_id = case when $6::boolean then tk.holder_id else $3::int end
  cross join ev cross join sec
  order by tk.id
  returning id, invoice_id, ticket_id, description, amount_cents
),
jobs as (${jobInsertSql(`(
  select json_agg(json_build_object(
    'name', '${MAIL_QUEUE}',
    'data', json_build_object(
      'kind', 'invoice-issued', 'userId', inv.payer_id, 'invoiceId', inv.id, 'number', inv.number,
      'eventTitle', ev.title, 'currency', inv.currency, 'amountCents', inv.amount_cents,
      'dueAt', to_char(inv.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'lines', (select json_agg(json_build_object('description', l.description, 'amountCents', l.amount_cents)
                                order by l.id) from lines l where l.invoice_id = inv.id)),
    'retryLimit', $10::int, 'retryDelay', $11::int, 'retryBackoff', $12::boolean, 'expireInSeconds', $13::int
  ) order by inv.id) from inv, ev)`)})
select (select count(*) from ev)::int as on_sale,
  case when exists (select 1 from res) then false
       else exists (select 1 from invoices where status = 'open' and due_at <= now() and event_id = $1)
  end as lapsed,
  (select json_build_object(
    'reservation', row_to_json(res),
    'event', (select row_to_json(ev) from ev),
    'section', (select row_to_json(sec) from sec),
    'tickets', (select json_agg(tk order by tk.id) from tk),
    'invoices', (select json_agg(inv order by inv.id) from inv),
    'lines', (select json_agg(lines order by lines.id) from lines),
    'people', (select json_agg(u) from (
      select id, username, display_name, bio, avatar_path, created_at from users
      where id = any($4::int[] || $3::int)) u)
  ) from res) as written`,
}

const LOCK_EVENT: Statement = {
  name: 'reservation_lock_event',
  text: `select 1 from events where id = $1 and status = 'published' and starts_at > now() for share`,
}

/**
 * Locks the event FOR SHARE while it is on sale (false when it no longer is), as WRITE_RESERVATION's `ev`
 * does: for a transaction that takes other locks before writing. Every box-office transaction locks the
 * event before invoices and sections (a cancellation does the same), so none of them deadlock.
 */
export async function lockEventOnSale(tx: Db, config: Config, eventId: number): Promise<boolean> {
  // Test-only control: no lock (see WRITE_RESERVATION_UNLOCKED).
  if (guardDisabled(config, 'event-lock')) return true
  return (await runStatement(tx, LOCK_EVENT, [eventId])).length > 0
}

/**
 * Test-only control (UNSAFE_DISABLE_GUARDS=event-lock): the same statement without the event's FOR SHARE,
 * so that a cancellation no longer waits for it, and with a pause after its snapshot (a test-only widening)
 * in which the cancellation can commit unseen.
 */
const WRITE_RESERVATION_UNLOCKED: Statement = {
  name: 'reservation_write_event_unlocked',
  text: WRITE_RESERVATION.text.replace('\n  for share\n', '\n  and (select true from pg_sleep(0.3))\n'),
}
if (WRITE_RESERVATION_UNLOCKED.text === WRITE_RESERVATION.text)
  throw new Error('event-lock control not built')

export interface WriteInput {
  eventId: number
  sectionId: number
  bookerId: number
  /** The holder of each ticket, booker first. */
  holders: number[]
  /** The seat of each ticket, in the same order; empty in a general section. */
  seats: { id: number; rowLabel: string; number: number }[]
  split: boolean
  ttlSeconds: number
  /** false only in the test-only unguarded control (see WRITE_RESERVATION). */
  claim: boolean
}

interface Written {
  reservation: { id: number; expires_at: string; created_at: string }
  event: { id: number; title: string; currency: string; starts_at: string }
  section: { id: number; name: string; price_cents: number }
  tickets: { id: number; seat_id: number | null; holder_id: number; created_at: string }[]
  invoices: {
    id: number
    number: string
    payer_id: number
    amount_cents: number
    currency: string
    due_at: string
    created_at: string
  }[]
  lines: { id: number; invoice_id: number; ticket_id: number; description: string; amount_cents: number }[]
  people: {
    id: number
    username: string
    display_name: string
    bio: string
    avatar_path: string | null
    created_at: string
  }[]
}

export type WriteOutcome =
  | { kind: 'written'; reservation: ReservationT }
  | { kind: 'not-on-sale' }
  /** `lapsedHolds`: the event has open invoices past due that the sweep has not expired yet. */
  | { kind: 'no-capacity'; lapsedHolds: boolean }

/** Claims (unless told not to) and writes a reservation in one statement, on `tx`. */
export async function writeReservation(tx: Db, config: Config, input: WriteInput): Promise<WriteOutcome> {
  const year = new Date().getUTCFullYear()
  const retry = retryPolicy(config)
  const statement = guardDisabled(config, 'event-lock') ? WRITE_RESERVATION_UNLOCKED : WRITE_RESERVATION
  const [row] = await runStatement<{ on_sale: number; lapsed: boolean; written: Written | null }>(
    tx,
    statement,
    [
      input.eventId,
      input.sectionId,
      input.bookerId,
      input.holders,
      input.seats.map((s) => s.id),
      input.split,
      input.ttlSeconds,
      `INV-${year}-`,
      input.claim,
      retry.retryLimit,
      retry.retryDelay,
      retry.retryBackoff,
      retry.expireInSeconds,
    ],
  )
  if (!row || row.on_sale === 0) return { kind: 'not-on-sale' }
  if (!row.written) return { kind: 'no-capacity', lapsedHolds: row.lapsed }
  return { kind: 'written', reservation: answerOf(config, input, row.written) }
}

/** The reservation as its booker sees it, built from the rows just written (the shapes of GET /reservations/{id}). */
function answerOf(config: Config, input: WriteInput, w: Written): ReservationT {
  const expiresAt = new Date(w.reservation.expires_at)
  const event = {
    id: w.event.id,
    title: w.event.title,
    startsAt: new Date(w.event.starts_at),
    currency: w.event.currency,
  }
  const people = new Map(
    w.people.map((p) => [
      p.id,
      {
        id: p.id,
        username: p.username,
        displayName: p.display_name,
        bio: p.bio,
        avatarPath: p.avatar_path,
        createdAt: new Date(p.created_at),
      },
    ]),
  )
  const personOf = (id: number) => people.get(id) ?? null
  const seatOf = new Map(input.seats.map((s) => [s.id, s]))
  const lines = w.lines.map((l) => ({
    id: l.id,
    invoiceId: l.invoice_id,
    ticketId: l.ticket_id,
    description: l.description,
    amountCents: l.amount_cents,
    refundedAt: null,
  }))
  const invoiceOfTicket = new Map(lines.map((l) => [l.ticketId, l.invoiceId]))
  const tickets = w.tickets.map((t) => {
    const seat = t.seat_id === null ? undefined : seatOf.get(t.seat_id)
    const createdAt = new Date(t.created_at)
    return toTicket(config, {
      ticket: {
        id: t.id,
        reservationId: w.reservation.id,
        eventId: event.id,
        sectionId: w.section.id,
        seatId: t.seat_id,
        holderId: t.holder_id,
        bookerId: input.bookerId,
        status: 'held',
        priceCents: w.section.price_cents,
        createdAt,
        updatedAt: createdAt,
      },
      status: 'held',
      expiresAt,
      event,
      sectionName: w.section.name,
      seat: seat ? { id: seat.id, row: seat.rowLabel, number: seat.number } : null,
      holder: personOf(t.holder_id),
      booker: personOf(input.bookerId),
      invoiceId: invoiceOfTicket.get(t.id) ?? null,
    })
  })
  const invoiceRows = w.invoices.map((i) => {
    const createdAt = new Date(i.created_at)
    return {
      id: i.id,
      number: i.number,
      reservationId: w.reservation.id,
      eventId: event.id,
      payerId: i.payer_id,
      amountCents: i.amount_cents,
      refundedCents: 0,
      currency: i.currency,
      status: 'open' as const,
      dueAt: new Date(i.due_at),
      paidAt: null,
      paymentReference: null,
      createdAt,
      updatedAt: createdAt,
    }
  })
  return {
    id: w.reservation.id,
    event_id: event.id,
    expires_at: expiresAt.toISOString(),
    created_at: new Date(w.reservation.created_at).toISOString(),
    tickets,
    invoices: invoiceRows.map((i) =>
      toInvoice(config, { invoice: i, status: 'open', payer: personOf(i.payerId) }, lines),
    ),
  }
}
