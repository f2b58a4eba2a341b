// The reservation statement: one statement that claims the sections' capacity and writes each reservation, its
// tickets, its invoices and their lines and the invoice e-mails' jobs, and answers with everything each
// response shows; one reservation or a batch of them. Its test-only controls are in reserve.controls.ts.
import type { Statement } from '../../db/client.js'
import { jobInsertSql, MAIL_QUEUE } from '../../jobs/boss.js'
import { isoSql } from '../../lib/json-text.js'
import { validTokenRoleSql } from '../../plugins/auth.js'
import { INVOICE_LAPSED_SQL } from './box-office.holds.js'

/**
 * A voucher's discount on one ticket of `req` at the price of `l`: never more than the price, so a line's
 * amount (the price less it) is never below 0. In bigint, like the invoices' amounts: a percentage of a large
 * price would overflow integer before the division.
 */
const DISCOUNT = `least(l.price_cents::bigint, case req.vkind
  when 'percent' then l.price_cents::bigint * req.vvalue / 100 when 'amount' then req.vvalue::bigint else 0 end)`

/** Someone waits in the section `id` (an SQL expression): a probe of the partial index of waiting entries. */
const WAITING_IN = (id: string) =>
  `select 1 from waitlist_entries w where w.section_id = ${id} and w.status = 'waiting'`

/**
 * Writes any number of reservations (a batch) in one statement. $1: the reservations, a JSON array of
 * `{i, event_id, section_id, booker_id, split, vkind, vvalue, sid, jti}` (i from 1, in arrival order; vkind and
 * vvalue a voucher's kind and value, or null; sid and jti the session and token ids of the booker's access token
 * when this statement is the one that checks it, else null); $2: their tickets, a JSON array of
 * `{i, holder, seat}` (booker first within each reservation; seat null in a general section); $3 the hold's
 * lifetime in seconds, $4 the invoice number prefix, $5…$8 the e-mails' retry policy, $9 whether only the common
 * case is written (a general section of an event without a per-user limit): the others are then left alone
 * (`eligible` false), for the caller's transaction path; $10 the default cap on live holds per booker and event
 * (MAX_HELD_TICKETS_PER_EVENT, 0 = none); $11 the prefix of avatar URLs (avatarUrlPrefix); $12 whether the
 * waiting list comes first: true for a buyer, false for an offer and for a buyer whose transaction has just
 * served the section's waiting list under the section's lock (waitlist.serve.ts, serveAhead).
 *
 * JSON rather than arrays, so that PostgreSQL's estimates are the same whatever the batch holds: it then keeps
 * one generic plan for the statement, instead of planning it again on every call (with arrays, a batch of one
 * looked cheaper planned afresh, and planning costs more than running it).
 *
 * - `authorized` holds the reservations whose booker's token holds (`validTokenRoleSql`), or that carry no
 *   token (their caller checked it); only those are counted against the cap or granted.
 * - `ev` locks the events FOR SHARE until commit, and only while they are on sale: a cancellation (which
 *   updates the row) waits for reservations in flight, and one that committed first leaves its event out.
 * - `capped` is the default cap on live holds, with $9: a reservation is written here only if it is its
 *   booker's first for its event in the batch and box_office_live_holds (which takes the booker's per-event
 *   advisory lock, the one the per-user limits take, and counts with a snapshot taken after it) leaves room
 *   for its tickets. Otherwise (over the cap, or the lock busy) it is not common: the careful path, which
 *   waits for the lock, decides. The lock is held until this statement commits, so two requests of one
 *   booker can never both count the same holds.
 * - `target` is each reservation's section, if it belongs to its event (and, with $9, is general in an event
 *   without a per-user limit).
 * - `locked` is the capacity guard: it locks the sections' rows FOR UPDATE and reads their newest committed
 *   counters (PostgreSQL re-reads a row after waiting for its lock), so two statements can never both take
 *   the last places, whatever the number of processes. Events, then sections, each in id order: the order
 *   every box-office transaction takes them in (a cancellation, the sweep), so none of them deadlock. A
 *   section already full is not locked at all: the crowd that arrives after a sell-out is turned away without
 *   waiting for the lock, and without anything to commit. With $12, a section where someone waits is not
 *   locked either: places free there may be owed to a waiting entry (places a lapsed hold, a refund or a
 *   release gave back, before the serving job has run), and only a transaction that serves the waiting list
 *   under the section's lock can tell (`queued`). The test is one probe of a partial index, so a section where
 *   no one waits pays next to nothing for it.
 * - `walk` grants the reservations of each section in arrival order, each one if its tickets still fit after
 *   those granted before it (as one-by-one statements would), and `claim` adds the granted tickets to the
 *   counters. The CHECK `held + sold <= capacity` stays as a backstop.
 * - Everything after it writes only what `granted` holds. Ids come from the tables' sequences first, so
 *   that every row can be traced back to its reservation; invoices are numbered from invoice_number_seq in
 *   reservation order, then payer order (the booker's first).
 * - Prices come from the section rows locked here, never from the request; due_at is the hold's expiry, both
 *   on the database's clock, the one every expiry check compares against.
 * - One invoice per payer (each holder with split payment, else the booker); a line per ticket, charging the
 *   price less the voucher's discount (DISCOUNT), which the line records.
 * - `jobs` enqueues each payer's invoice-issued e-mail (pg-boss's own insert, fed from `inv`): a reservation
 *   exists if and only if its e-mails do.
 * - The answer has a row per reservation: `authorized`, `on_sale`, `eligible` (its section is in `target`),
 *   `reservation` (null when nothing was written: then `lapsed` tells whether lapsed holds the sweep has not
 *   reached yet may be what fills the section, and `queued` that the section has room but someone waits in it).
 *   `reservation` is already the API's Reservation (GET /reservations/{id}, snake case, timestamps as
 *   toISOString writes them), built from the rows just written: nothing maps it again.
 *
 * Committed on its own (the common case) it holds the sections' row locks only while PostgreSQL runs it, never
 * across a round trip to this process.
 */
export const WRITE_RESERVATIONS: Statement = {
  name: 'reservations_write',
  text: `
with recursive req as (
  select r.i, r.event_id, r.section_id, r.booker_id, r.split, r.vkind, r.vvalue, r.sid, r.jti
  from json_to_recordset($1::json)
    as r(i int, event_id int, section_id int, booker_id int, split boolean, vkind text, vvalue int,
         sid text, jti text)
),
authorized as (
  select req.i from req
  where req.sid is null or exists (${validTokenRoleSql('req.booker_id', 'req.sid', 'req.jti')})
),
capped as (
  select c.i from (
    select req.i, req.event_id, req.booker_id,
           row_number() over (partition by req.event_id, req.booker_id order by req.i) as nth
    from req join authorized a on a.i = req.i
  ) c
  where not $9::boolean or $10::int = 0
     or (c.nth = 1 and box_office_live_holds(c.event_id, c.booker_id)
                         + (select count(*)::int from json_to_recordset($2::json) as w(i int) where w.i = c.i)
                         <= $10::int)
),
wanted as (
  select w.ord::int as ord, w.i, w.holder, w.seat,
         case when req.split then w.holder else req.booker_id end as payer
  from rows from (json_to_recordset($2::json) as (i int, holder int, seat int)) with ordinality as w(i, holder, seat, ord)
  join req on req.i = w.i
),
ev as (
  select id, title, currency, starts_at, timezone, max_tickets_per_user is null as unlimited from events
  where id = any(array(select event_id from req)) and status = 'published' and starts_at > now()
  order by id
  for share
),
target as (
  select s.id, s.event_id from sections s join ev on ev.id = s.event_id
  where s.id = any(array(select section_id from req))
    and (not $9::boolean or (s.kind = 'general' and ev.unlimited))
),
locked as (
  select s.id, s.event_id, s.name, s.price_cents, s.capacity - s.held - s.sold as free
  from sections s
  where s.id = any(array(select id from target))
    and not ($12::boolean and exists (${WAITING_IN('s.id')}))
    and s.held + s.sold < s.capacity
  order by s.id
  for update of s
),
queue as (
  select req.i, req.event_id, req.section_id, n.q,
         row_number() over (partition by req.section_id order by req.i)::int as k
  from req join capped c on c.i = req.i
  join (select i, count(*)::int as q from wanted group by i) n on n.i = req.i
),
walk as (
  select qu.section_id, qu.k, qu.i, l.event_id, ok.ok,
         l.free - case when ok.ok then qu.q else 0 end as rest
  from queue qu join locked l on l.id = qu.section_id
  cross join lateral (select qu.event_id = l.event_id and qu.q <= l.free as ok) ok
  where qu.k = 1
  union all
  select qu.section_id, qu.k, qu.i, w.event_id, ok.ok,
         w.rest - case when ok.ok then qu.q else 0 end
  from walk w join queue qu on qu.section_id = w.section_id and qu.k = w.k + 1
  cross join lateral (select qu.event_id = w.event_id and qu.q <= w.rest as ok) ok
),
granted as (
  select w.i, w.section_id, qu.q from walk w join queue qu on qu.i = w.i where w.ok
),
claim as (
  update sections s set held = s.held + g.n, updated_at = now()
  from (select section_id, sum(q)::int as n from granted group by section_id) g
  where s.id = g.section_id
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
  select x.id, x.number, rids.id, req.event_id, x.payer, x.n::bigint * (l.price_cents - ${DISCOUNT}), ev.currency,
         now() + make_interval(secs => $3::int)
  from iids x join rids on rids.i = x.i join req on req.i = x.i
  join locked l on l.id = req.section_id join ev on ev.id = req.event_id
  returning id, number, payer_id, amount_cents, currency, due_at, created_at
),
lines as (
  insert into invoice_lines (invoice_id, ticket_id, description, amount_cents, discount_cents)
  select x.id, t.id,
         ev.title || ': ' || l.name || coalesce((select ', row ' || st.row_label || ' seat ' || st.number
                                                 from seats st where st.id = t.seat), ''),
         l.price_cents - ${DISCOUNT}, ${DISCOUNT}
  from tids t join iids x on x.i = t.i and x.payer = t.payer join req on req.i = t.i
  join locked l on l.id = req.section_id join ev on ev.id = req.event_id
  order by t.id
  returning id, invoice_id, ticket_id, description, amount_cents, discount_cents
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
      'dueAt', ${isoSql('inv.due_at')},
      'lines', lo.lines),
    'retryLimit', $5::int, 'retryDelay', $6::int, 'retryBackoff', $7::boolean, 'expireInSeconds', $8::int
  ) order by inv.id)
  from inv join iids x on x.id = inv.id join req on req.i = x.i join ev on ev.id = req.event_id
  join lines_of lo on lo.invoice_id = inv.id)`)}),
people as (
  select u.id, json_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name,
    'bio', u.bio, 'avatar_url', $11::text || nullif(u.avatar_path, ''), 'created_at', ${isoSql('u.created_at')}) as person
  from users u where u.id = any(array(select holder from tids))
),
tickets_of as (
  select t.i, json_agg(json_build_object(
    'id', tk.id, 'status', 'held',
    'event', json_build_object('id', ev.id, 'title', ev.title, 'starts_at', ${isoSql('ev.starts_at')}, 'timezone', ev.timezone),
    'section', json_build_object('id', l.id, 'name', l.name),
    'seat', case when st.id is not null then json_build_object('id', st.id, 'row', st.row_label, 'number', st.number) end,
    'holder', h.person, 'booker', b.person, 'price_cents', l.price_cents, 'currency', ev.currency,
    'reservation_id', t.reservation_id, 'invoice_id', x.id,
    'expires_at', ${isoSql('res.expires_at')}, 'created_at', ${isoSql('tk.created_at')}, 'checked_in_at', null
  ) order by tk.id) as tickets
  from tk join tids t on t.id = tk.id join req on req.i = t.i
  join locked l on l.id = req.section_id join ev on ev.id = req.event_id
  join res on res.id = t.reservation_id join iids x on x.i = t.i and x.payer = t.payer
  left join seats st on st.id = tk.seat_id
  left join people h on h.id = tk.holder_id left join people b on b.id = req.booker_id
  group by t.i
),
invoices_of as (
  select x.i, json_agg(json_build_object(
    'id', inv.id, 'number', inv.number, 'payer', p.person, 'amount_cents', inv.amount_cents,
    'refunded_cents', 0, 'currency', inv.currency, 'status', 'open', 'due_at', ${isoSql('inv.due_at')},
    'paid_at', null, 'reservation_id', rids.id, 'event_id', req.event_id,
    'created_at', ${isoSql('inv.created_at')}, 'lines', lo.lines
  ) order by inv.id) as invoices
  from inv join iids x on x.id = inv.id join rids on rids.i = x.i join req on req.i = x.i
  left join people p on p.id = inv.payer_id
  join (
    select invoice_id, json_agg(json_build_object('ticket_id', ticket_id, 'description', description,
      'amount_cents', amount_cents, 'discount_cents', discount_cents, 'refunded_at', null) order by id) as lines
    from lines group by invoice_id
  ) lo on lo.invoice_id = inv.id
  group by x.i
)
select req.i, a.i is not null as authorized, ev.id is not null as on_sale,
  t.id is not null and c.i is not null as eligible,
  case when r.id is not null then false
       else exists (select 1 from invoices where ${INVOICE_LAPSED_SQL} and event_id = req.event_id)
  end as lapsed,
  r.id is null and t.id is not null and $12::boolean and exists (${WAITING_IN('req.section_id')})
    and exists (select 1 from sections s where s.id = req.section_id and s.held + s.sold < s.capacity) as queued,
  case when r.id is not null then json_build_object(
    'id', res.id, 'event_id', req.event_id,
    'expires_at', ${isoSql('res.expires_at')}, 'created_at', ${isoSql('res.created_at')},
    'tickets', tickets_of.tickets, 'invoices', invoices_of.invoices
  ) end as reservation
from req
left join authorized a on a.i = req.i
left join ev on ev.id = req.event_id
left join target t on t.id = req.section_id and t.event_id = req.event_id
left join capped c on c.i = req.i
left join rids r on r.i = req.i
left join res on res.id = r.id
left join tickets_of on tickets_of.i = req.i
left join invoices_of on invoices_of.i = req.i
order by req.i`,
}

export const LOCK_EVENT: Statement = {
  name: 'reservation_lock_event',
  text: `select 1 from events where id = $1 and status = 'published' and starts_at > now() for share`,
}
