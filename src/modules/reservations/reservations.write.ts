// Writing reservations: one statement that claims the sections' capacity and writes each reservation, its
// tickets, its invoices and their lines and the invoice e-mails' jobs, and answers with everything each
// response shows; one reservation or a batch of them.
import type { Config } from '../../config.js'
import { type Db, runStatement, type Statement } from '../../db/client.js'
import { jobInsertSql, MAIL_QUEUE } from '../../jobs/boss.js'
import { retryPolicy } from '../../jobs/queue.js'
import { guardDisabled } from '../../lib/guards.js'
import { toInvoice } from '../invoices/invoices.queries.js'
import { toTicket } from '../tickets/tickets.queries.js'
import type { ReservationT } from './reservations.schemas.js'

/**
 * Writes any number of reservations (a batch) in one statement. $1: the reservations, a JSON array of
 * `{i, event_id, section_id, booker_id, split}` (i from 1, in arrival order); $2: their tickets, a JSON array
 * of `{i, holder, seat}` (booker first within each reservation; seat null in a general section); $3 the hold's
 * lifetime in seconds, $4 the invoice number prefix, $5 whether capacity is claimed (false only in the
 * test-only unguarded control, which stands for the naive read-then-write), $6…$9 the e-mails' retry policy,
 * $10 whether only the common case is written (a general section of an event without a per-user limit): the
 * others are then left alone (`eligible` false), for the caller's transaction path.
 *
 * JSON rather than arrays, so that PostgreSQL's estimates are the same whatever the batch holds: it then keeps
 * one generic plan for the statement, instead of planning it again on every call (with arrays, a batch of one
 * looked cheaper planned afresh, and planning costs more than running it).
 *
 * - `ev` locks the events FOR SHARE until commit, and only while they are on sale: a cancellation (which
 *   updates the row) waits for reservations in flight, and one that committed first leaves its event out.
 * - `target` is each reservation's section, if it belongs to its event (and, with $10, is general in an event
 *   without a per-user limit).
 * - `locked` is the capacity guard: it locks the sections' rows FOR UPDATE and reads their newest committed
 *   counters (PostgreSQL re-reads a row after waiting for its lock), so two statements can never both take
 *   the last places, whatever the number of processes. Events, then sections, each in id order: the order
 *   every box-office transaction takes them in (a cancellation, the sweep), so none of them deadlock. A
 *   section already full is not locked at all: the crowd that arrives after a sell-out is turned away without
 *   waiting for the lock, and without anything to commit.
 * - `walk` grants the reservations of each section in arrival order, each one if its tickets still fit after
 *   those granted before it (as one-by-one statements would), and `claim` adds the granted tickets to the
 *   counters. The CHECK `held + sold <= capacity` stays as a backstop.
 * - Everything after it writes only what `granted` holds. Ids come from the tables' sequences first, so
 *   that every row can be traced back to its reservation; invoices are numbered from invoice_number_seq in
 *   reservation order, then payer order (the booker's first).
 * - Prices come from the section rows locked here, never from the request; due_at is the hold's expiry, both
 *   on the database's clock, the one every expiry check compares against.
 * - One invoice per payer (each holder with split payment, else the booker); a line per ticket.
 * - `jobs` enqueues each payer's invoice-issued e-mail (pg-boss's own insert, fed from `inv`): a reservation
 *   exists if and only if its e-mails do.
 * - The answer has a row per reservation: `on_sale`, `eligible` (its section is in `target`), `written` (null
 *   when nothing was written: then `lapsed` tells whether lapsed holds the sweep has not reached yet may be
 *   what fills the section).
 *
 * Committed on its own (the common case) it holds the sections' row locks only while PostgreSQL runs it, never
 * across a round trip to this process.
 */
const WRITE_RESERVATIONS: Statement = {
  name: 'reservations_write',
  text: `
with recursive req as (
  select r.i, r.event_id, r.section_id, r.booker_id, r.split
  from json_to_recordset($1::json) as r(i int, event_id int, section_id int, booker_id int, split boolean)
),
wanted as (
  select w.ord::int as ord, w.i, w.holder, w.seat,
         case when req.split then w.holder else req.booker_id end as payer
  from rows from (json_to_recordset($2::json) as (i int, holder int, seat int)) with ordinality as w(i, holder, seat, ord)
  join req on req.i = w.i
),
ev as (
  select id, title, currency, starts_at, max_tickets_per_user is null as unlimited from events
  where id = any(array(select event_id from req)) and status = 'published' and starts_at > now()
  order by id
  for share
),
target as (
  select s.id, s.event_id from sections s join ev on ev.id = s.event_id
  where s.id = any(array(select section_id from req))
    and (not $10::boolean or (s.kind = 'general' and ev.unlimited))
),
locked as (
  select s.id, s.event_id, s.name, s.price_cents, s.capacity - s.held - s.sold as free
  from sections s
  where s.id = any(array(select id from target)) and s.held + s.sold < s.capacity
  order by s.id
  for update of s
),
queue as (
  select req.i, req.event_id, req.section_id, n.q,
         row_number() over (partition by req.section_id order by req.i)::int as k
  from req join (select i, count(*)::int as q from wanted group by i) n on n.i = req.i
),
walk as (
  select qu.section_id, qu.k, qu.i, l.event_id, ok.ok,
         l.free - case when ok.ok then qu.q else 0 end as rest
  from queue qu join locked l on l.id = qu.section_id
  cross join lateral (select qu.event_id = l.event_id and (qu.q <= l.free or not $5::boolean) as ok) ok
  where qu.k = 1
  union all
  select qu.section_id, qu.k, qu.i, w.event_id, ok.ok,
         w.rest - case when ok.ok then qu.q else 0 end
  from walk w join queue qu on qu.section_id = w.section_id and qu.k = w.k + 1
  cross join lateral (select qu.event_id = w.event_id and (qu.q <= w.rest or not $5::boolean) as ok) ok
),
granted as (
  select w.i, w.section_id, qu.q from walk w join queue qu on qu.i = w.i where w.ok
),
claim as (
  update sections s set held = s.held + g.n, updated_at = now()
  from (select section_id, sum(q)::int as n from granted group by section_id) g
  where $5::boolean and s.id = g.section_id
),
rids as (
  select g.i, nextval('reservations_id_seq')::int as id from granted g order by g.i
),
res as (
  insert into reservations (id, event_id, booker_id, expires_at) overriding system value
  select rids.id, req.event_id, req.booker_id, now() + make_interval(secs => $3::int)
  from rids join req on req.i = rids.i
  returning id, expires_at, created_at
),
tids as (
  select w.i, w.ord, w.holder, w.seat, w.payer, rids.id as reservation_id,
         nextval('tickets_id_seq')::int as id
  from wanted w join rids on rids.i = w.i
  order by w.ord
),
tk as (
  insert into tickets (id, reservation_id, event_id, section_id, seat_id, holder_id, booker_id, price_cents)
  overriding system value
  select t.id, t.reservation_id, req.event_id, l.id, t.seat, t.holder, req.booker_id, l.price_cents
  from tids t join req on req.i = t.i join locked l on l.id = req.section_id
  returning id, seat_id, holder_id, created_at
),
iids as (
  select p.i, p.payer, p.n, nextval('invoices_id_seq')::int as id,
         $4::text || lpad(nextval('invoice_number_seq')::text, 6, '0') as number
  from (select i, payer, count(*)::int as n, min(ord) as first from tids group by i, payer) p
  order by p.i, p.first
),
inv as (
  insert into invoices (id, number, reservation_id, event_id, payer_id, amount_cents, currency, due_at)
  overriding system value
  select x.id, x.number, rids.id, req.event_id, x.payer, x.n * l.price_cents, ev.currency,
         now() + make_interval(secs => $3::int)
  from iids x join rids on rids.i = x.i join req on req.i = x.i
  join locked l on l.id = req.section_id join ev on ev.id = req.event_id
  returning id, number, payer_id, amount_cents, currency, due_at, created_at
),
lines as (
  insert into invoice_lines (invoice_id, ticket_id, description, amount_cents)
  select x.id, t.id,
         ev.title || ': ' || l.name || coalesce((select ', row ' || st.row_label || ' seat ' || st.number
                                                 from seats st where st.id = t.seat), ''),
         l.price_cents
  from tids t join iids x on x.i = t.i and x.payer = t.payer join req on req.i = t.i
  join locked l on l.id = req.section_id join ev on ev.id = req.event_id
  order by t.id
  returning id, invoice_id, ticket_id, description, amount_cents
),
lines_of as (
  select invoice_id, json_agg(json_build_object('description', description, 'amountCents', amount_cents)
                              order by id) as lines
  from lines group by invoice_id
),
jobs as (${jobInsertSql(`(
  select json_agg(json_build_object(
    'name', '${MAIL_QUEUE}',
    'data', json_build_object(
      'kind', 'invoice-issued', 'userId', inv.payer_id, 'invoiceId', inv.id, 'number', inv.number,
      'eventTitle', ev.title, 'currency', inv.currency, 'amountCents', inv.amount_cents,
      'dueAt', to_char(inv.due_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'lines', lo.lines),
    'retryLimit', $6::int, 'retryDelay', $7::int, 'retryBackoff', $8::boolean, 'expireInSeconds', $9::int
  ) order by inv.id)
  from inv join iids x on x.id = inv.id join req on req.i = x.i join ev on ev.id = req.event_id
  join lines_of lo on lo.invoice_id = inv.id)`)}),
tickets_of as (
  select t.i, json_agg(tk order by tk.id) as tickets from tk join tids t on t.id = tk.id group by t.i
),
invoices_of as (
  select x.i, json_agg(inv order by inv.id) as invoices from inv join iids x on x.id = inv.id group by x.i
),
lines_by as (
  select x.i, json_agg(lines order by lines.id) as lines from lines join iids x on x.id = lines.invoice_id
  group by x.i
),
people_of as (
  select p.i, json_agg(p.person) as people from (
    select distinct on (w.i, u.id) w.i, json_build_object('id', u.id, 'username', u.username,
      'display_name', u.display_name, 'bio', u.bio, 'avatar_path', u.avatar_path, 'created_at', u.created_at)
      as person
    from rids join wanted w on w.i = rids.i join users u on u.id = w.holder
    order by w.i, u.id) p
  group by p.i
)
select req.i, ev.id is not null as on_sale, t.id is not null as eligible,
  case when r.id is not null then false
       else exists (select 1 from invoices where status = 'open' and due_at <= now() and event_id = req.event_id)
  end as lapsed,
  case when r.id is not null then json_build_object(
    'reservation', json_build_object('id', res.id, 'expires_at', res.expires_at, 'created_at', res.created_at),
    'event', json_build_object('id', ev.id, 'title', ev.title, 'currency', ev.currency, 'starts_at', ev.starts_at),
    'section', json_build_object('id', l.id, 'name', l.name, 'price_cents', l.price_cents),
    'tickets', tickets_of.tickets,
    'invoices', invoices_of.invoices,
    'lines', lines_by.lines,
    'people', people_of.people
  ) end as written
from req
left join ev on ev.id = req.event_id
left join target t on t.id = req.section_id and t.event_id = req.event_id
left join rids r on r.i = req.i
left join res on res.id = r.id
left join locked l on l.id = req.section_id
left join tickets_of on tickets_of.i = req.i
left join invoices_of on invoices_of.i = req.i
left join lines_by on lines_by.i = req.i
left join people_of on people_of.i = req.i
order by req.i`,
}

const LOCK_EVENT: Statement = {
  name: 'reservation_lock_event',
  text: `select 1 from events where id = $1 and status = 'published' and starts_at > now() for share`,
}

/**
 * Locks the event FOR SHARE while it is on sale (false when it no longer is), as WRITE_RESERVATIONS' `ev`
 * does: for a transaction that takes other locks before writing. Every box-office transaction locks the
 * event before invoices and sections (a cancellation does the same), so none of them deadlock.
 */
export async function lockEventOnSale(tx: Db, config: Config, eventId: number): Promise<boolean> {
  // Test-only control: no lock (see EVENT_UNLOCKED).
  if (guardDisabled(config, 'event-lock')) return true
  return (await runStatement(tx, LOCK_EVENT, [eventId])).length > 0
}

/** A test-only variant of `WRITE_RESERVATIONS`: `from` replaced by `to`, checked to be there. */
function variant(name: string, from: string, to: string): Statement {
  const text = WRITE_RESERVATIONS.text.replace(from, to)
  if (text === WRITE_RESERVATIONS.text) throw new Error(`control ${name} not built`)
  return { name, text }
}

/**
 * Test-only controls. UNSAFE_DISABLE_GUARDS=event-lock: the statement without the events' FOR SHARE, so that a
 * cancellation no longer waits for it, and with a pause after its snapshot (a test-only widening) in which the
 * cancellation can commit unseen. UNSAFE_DISABLE_GUARDS=capacity: without the sections' row locks (and, by
 * $5, without the claim), the naive write after an unlocked count (reservations.capacity.ts).
 */
const EVENT_UNLOCKED = variant(
  'reservations_write_event_unlocked',
  '\n  order by id\n  for share\n',
  '\n  and (select true from pg_sleep(0.3))\n',
)
const SECTIONS_UNLOCKED = variant('reservations_write_unguarded', '\n  for update of s\n', '\n')

export interface WriteInput {
  eventId: number
  sectionId: number
  bookerId: number
  /** The holder of each ticket, booker first. */
  holders: number[]
  /** The seat of each ticket, in the same order; empty in a general section. */
  seats: { id: number; rowLabel: string; number: number }[]
  split: boolean
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
  /** With `commonOnly`: not a general section of this event, or the event has a per-user limit. */
  | { kind: 'not-common' }
  /** `lapsedHolds`: the event has open invoices past due that the sweep has not expired yet. */
  | { kind: 'no-capacity'; lapsedHolds: boolean }

/**
 * Claims and writes reservations in one statement on `tx` (see WRITE_RESERVATIONS): an outcome per input, in
 * their order. Each is granted or refused on its own, as if they had come one by one in this order.
 */
export async function writeReservations(
  tx: Db,
  config: Config,
  inputs: WriteInput[],
  opts: { commonOnly: boolean },
): Promise<WriteOutcome[]> {
  const year = new Date().getUTCFullYear()
  const retry = retryPolicy(config)
  const claim = !guardDisabled(config, 'capacity')
  const statement = guardDisabled(config, 'event-lock')
    ? EVENT_UNLOCKED
    : claim
      ? WRITE_RESERVATIONS
      : SECTIONS_UNLOCKED
  const reservations = inputs.map((r, k) => ({
    i: k + 1,
    event_id: r.eventId,
    section_id: r.sectionId,
    booker_id: r.bookerId,
    split: r.split,
  }))
  const tickets = inputs.flatMap((r, k) =>
    r.holders.map((holder, n) => ({ i: k + 1, holder, seat: r.seats[n]?.id ?? null })),
  )
  const rows = await runStatement<{
    i: number
    on_sale: boolean
    eligible: boolean
    lapsed: boolean
    written: Written | null
  }>(tx, statement, [
    JSON.stringify(reservations),
    JSON.stringify(tickets),
    config.RESERVATION_TTL,
    `INV-${year}-`,
    claim,
    retry.retryLimit,
    retry.retryDelay,
    retry.retryBackoff,
    retry.expireInSeconds,
    opts.commonOnly,
  ])
  return inputs.map((input, i): WriteOutcome => {
    const row = rows[i]
    if (!row?.on_sale) return { kind: 'not-on-sale' }
    if (!row.eligible) return { kind: 'not-common' }
    if (!row.written) return { kind: 'no-capacity', lapsedHolds: row.lapsed }
    return { kind: 'written', reservation: answerOf(config, input, row.written) }
  })
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
