// Invoices: the payer's list, one invoice as a printable receipt (also for the event's organizer and admins),
// and paying an open one. The pay handler never trusts where the browser came from: it reads the invoice's
// state again, through the same service the JSON route calls.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { InvoiceT } from '../../modules/box-office/box-office.schemas.js'
import { payInvoice } from '../../modules/box-office/pay.service.js'
import { getInvoice, isBookerOf, listMyInvoices } from '../../modules/box-office/view.service.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEvent } from '../../modules/events/events.service.js'
import { money, when } from '../format.js'
import { Layout, Pager } from '../layout.js'
import {
  flash,
  type PageCtx,
  pageCtx,
  requestedPage,
  requireUser,
  safeNext,
  seeOther,
  sendHtml,
} from '../page.js'
import { offeredMethod, PayForm } from './pay-form.js'
import { seenEvents, UNSHOWN_EVENT } from './seen-events.js'
import { InvoiceStatus, personName } from './status.js'

const PER_PAGE = 20

/** `path` (a safe local path, perhaps with a query already) with `params` added to its query. */
function withQuery(path: string, params: Record<string, string>): string {
  const url = new URL(path, 'http://local')
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return `${url.pathname}${url.search}`
}

/** The invoice's event, linked; or what the row says of an event it may no longer show. */
function EventCell(p: { event: EventT | null }) {
  if (!p.event) return <span>{UNSHOWN_EVENT}</span>
  return (
    <a href={`/events/${p.event.id}`} safe>
      {p.event.title}
    </a>
  )
}

function InvoicesPage(p: {
  ctx: PageCtx
  invoices: InvoiceT[]
  events: Map<number, EventT | null>
  page: number
  totalPages: number
}) {
  return (
    <Layout ctx={p.ctx} title="Invoices">
      <h1>Invoices</h1>
      {p.invoices.length === 0 ? (
        <p>You have no invoices yet.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="Invoices">
          <table>
            <thead>
              <tr>
                <th scope="col">Invoice</th>
                <th scope="col">Date</th>
                <th scope="col">Amount</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {p.invoices.map((inv) => (
                <tr>
                  <th scope="row">
                    <a href={`/invoices/${inv.id}`} safe>
                      {inv.number}
                    </a>
                    <br />
                    {/* Under the number, not a column of its own: the table fits a phone's width. */}
                    <small>
                      <EventCell event={p.events.get(inv.event_id) ?? null} />
                    </small>
                  </th>
                  <td safe>{when(inv.created_at)}</td>
                  <td safe>{money(inv.amount_cents, inv.currency)}</td>
                  <td>
                    <InvoiceStatus status={inv.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Pager
        page={p.page}
        totalPages={p.totalPages}
        href={(n) => `/invoices?page=${n}`}
        words={['← Newer', 'Older →']}
      />
    </Layout>
  )
}

function InvoicePage(p: {
  ctx: PageCtx
  invoice: InvoiceT
  event: EventT
  /** Whether the viewer booked the reservation: its checkout is theirs alone (a friend paying their own is not). */
  booker: boolean
  next?: string
  error?: string
  method?: string
}) {
  const inv = p.invoice
  const isPayer = inv.payer?.id === p.ctx.user?.id
  return (
    <Layout ctx={p.ctx} title={`Invoice ${inv.number}`}>
      <article class="receipt">
        <header>
          <h1 safe>{`Invoice ${inv.number}`}</h1>
          <p>
            <InvoiceStatus status={inv.status} />
          </p>
        </header>
        <dl class="facts">
          <dt>Event</dt>
          <dd>
            <a href={`/events/${p.event.id}`} safe>
              {p.event.title}
            </a>
            <br />
            <span safe>{`${when(p.event.starts_at, p.event.timezone)} · ${p.event.venue}`}</span>
          </dd>
          <dt>Payer</dt>
          <dd safe>{personName(inv.payer, undefined, true)}</dd>
          <dt>Issued</dt>
          <dd safe>{when(inv.created_at)}</dd>
          {inv.status === 'open' ? (
            <>
              <dt>Due</dt>
              <dd safe>{when(inv.due_at)}</dd>
            </>
          ) : (
            ''
          )}
          {inv.paid_at ? (
            <>
              <dt>Paid</dt>
              <dd safe>{when(inv.paid_at)}</dd>
            </>
          ) : (
            ''
          )}
        </dl>
        <section class="table-wrap" tabindex="0" aria-label="Invoice lines">
          <table>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col" class="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {inv.lines.map((l) => (
                <tr>
                  <td>
                    <a href={`/tickets/${l.ticket_id}`} safe>
                      {l.description}
                    </a>
                    {l.refunded_at ? <span safe>{` (refunded ${when(l.refunded_at)})`}</span> : ''}
                    {l.discount_cents > 0 ? (
                      <small class="meta" safe>
                        {`${money(l.amount_cents + l.discount_cents, inv.currency)} less a voucher’s ${money(l.discount_cents, inv.currency)}`}
                      </small>
                    ) : (
                      ''
                    )}
                  </td>
                  <td class="num" safe>
                    {money(l.amount_cents, inv.currency)}
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td class="num" safe>
                  {money(inv.amount_cents, inv.currency)}
                </td>
              </tr>
              {inv.refunded_cents > 0 ? (
                <tr>
                  <th scope="row">Refunded</th>
                  <td class="num" safe>
                    {money(inv.refunded_cents, inv.currency)}
                  </td>
                </tr>
              ) : (
                ''
              )}
            </tfoot>
          </table>
        </section>
      </article>
      {inv.status === 'open' && isPayer ? (
        <section aria-labelledby="pay-heading" class="no-print">
          <h2 id="pay-heading">Pay</h2>
          <PayForm invoice={inv} csrf={p.ctx.csrf} next={p.next} error={p.error} method={p.method} />
        </section>
      ) : (
        ''
      )}
      <p class="no-print">
        {p.booker ? (
          <>
            <a href={`/reservations/${inv.reservation_id}`}>Back to the checkout</a> ·{' '}
          </>
        ) : (
          ''
        )}
        <a href="/invoices">All invoices</a> · <a href="/tickets">My tickets</a>
      </p>
    </Layout>
  )
}

async function showInvoice(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  id: number,
  form: { next?: string; error?: string; method?: string } = {},
  status = 200,
) {
  const user = req.webUser!
  const invoice = await getInvoice(app.ctx, user, id)
  const [event, booker] = await Promise.all([
    getEvent(app.ctx, user, invoice.event_id),
    isBookerOf(app.ctx, user, invoice.reservation_id),
  ])
  return sendHtml(
    req,
    reply,
    <InvoicePage ctx={pageCtx(req, reply)} invoice={invoice} event={event} booker={booker} {...form} />,
    status,
  )
}

export async function invoicePages(app: FastifyInstance) {
  const { ctx } = app

  app.get('/invoices', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const page = requestedPage(req, PER_PAGE)
    const result = await listMyInvoices(ctx, user, {}, page)
    return sendHtml(
      req,
      reply,
      <InvoicesPage
        ctx={pageCtx(req, reply)}
        invoices={result.data}
        events={
          await seenEvents(
            ctx,
            user,
            result.data.map((inv) => inv.event_id),
          )
        }
        page={result.page}
        totalPages={result.total_pages}
      />,
    )
  })

  app.get(
    '/invoices/:id',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      if (!requireUser(req, reply)) return reply
      const method = (req.query as { method?: unknown }).method
      return showInvoice(app, req, reply, (req.params as { id: number }).id, {
        method: offeredMethod(method),
      })
    },
  )

  app.post(
    '/invoices/:id/pay',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      const body = (req.body ?? {}) as { payment_method?: unknown; next?: unknown }
      const next = safeNext(body.next, `/invoices/${id}`)
      const method = typeof body.payment_method === 'string' ? body.payment_method : ''
      try {
        await payInvoice(ctx, user, id, { payment_method: method })
      } catch (err) {
        if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err
        // Every refusal answers as pretix's order views do (messages.error, then a redirect to the order page):
        // a 303 back to a page, never a page drawn at this POST's URL, so a reload cannot post the payment again.
        if (err.code === 'PAYMENT_DECLINED') {
          flash(
            reply,
            'error',
            'The payment was declined. Nothing was charged: choose another method and try again.',
          )
          // Back where the buyer paid from, with the declined method still ticked.
          return seeOther(reply, `${withQuery(next, { method })}#pay-${id}`)
        }
        const invoice = await getInvoice(ctx, user, id)
        if (invoice.status === 'expired') {
          // Paid after the hold lapsed: the lock refused it before any charge. The checkout is the hold's own
          // page (pretix sends an expired order's payment back to the order page); it sends a lapsed hold on to
          // the event page with the choices filled in again, which carries the link to book again.
          flash(
            reply,
            'error',
            `Nothing was charged: your hold ran out at ${when(invoice.due_at)}, before this payment, and the tickets went back on sale. Book again below: your choices are filled in.`,
          )
          return seeOther(reply, `/reservations/${invoice.reservation_id}`)
        }
        return showInvoice(app, req, reply, id, { next, error: err.message }, err.status)
      }
      flash(reply, 'success', 'Payment received: your tickets are confirmed.')
      return seeOther(reply, next)
    },
  )
}
