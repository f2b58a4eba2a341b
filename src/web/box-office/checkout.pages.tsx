// The checkout: a reservation has its own URL. It shows the held tickets, the deadline (rendered by the server; a
// small script only ticks it, correcting for clock skew), and the invoices with a pay form for the ones the
// buyer pays. Its status decides where the buyer belongs: all paid → their tickets; lapsed → the event again.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { notFound } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { ReservationT } from '../../modules/box-office/box-office.schemas.js'
import { getReservation } from '../../modules/box-office/view.service.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEvent } from '../../modules/events/events.service.js'
import { money, when } from '../format.js'
import { Layout } from '../layout.js'
import { FLASH_COOKIE, flash, type PageCtx, pageCtx, requireUser, seeOther, sendHtml } from '../page.js'
import { ExtendHoldForm } from './extend-hold.pages.js'
import { offeredMethod, PayForm } from './pay-form.js'
import { InvoiceStatus, personName, placeText, TicketStatus } from './status.js'

function CheckoutPage(p: {
  ctx: PageCtx
  config: Config
  reservation: ReservationT
  event: EventT
  now: Date
  /** The method to keep ticked after a declined payment (`?method=`). */
  method?: string
}): JSX.Element {
  const r = p.reservation
  const me = p.ctx.user?.id
  const held = r.tickets.filter((t) => t.status === 'held')
  return (
    <Layout ctx={p.ctx} title="Checkout" scripts={['countdown.js']}>
      <h1>Checkout</h1>
      <p>
        <a href={`/events/${p.event.id}`} safe>
          {p.event.title}
        </a>
        <br />
        <span class="meta" safe>{`${when(p.event.starts_at, p.event.timezone)} · ${p.event.venue}`}</span>
      </p>
      {held.length > 0 ? (
        <section class="hold" aria-labelledby="hold-heading">
          <h2 id="hold-heading">Your hold</h2>
          <p>
            Held until{' '}
            <time
              id="hold-deadline"
              datetime={r.expires_at}
              data-server-now={p.now.toISOString()}
              data-expired-text="Your hold has lapsed. Reload the page to see what you can do."
            >
              <strong safe>{when(r.expires_at)}</strong>
            </time>
            <span id="hold-remaining" class="countdown" aria-hidden="true" />
          </p>
          <p id="hold-announce" class="visually-hidden" aria-live="polite" />
          <p class="meta">Unpaid tickets go back on sale at that time.</p>
          <ExtendHoldForm config={p.config} reservation={r} csrf={p.ctx.csrf} />
        </section>
      ) : (
        ''
      )}
      <h2>Tickets</h2>
      <section class="table-wrap" tabindex="0" aria-label="Held tickets">
        <table>
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">For</th>
              <th scope="col">Price</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {r.tickets.map((t) => (
              <tr>
                <td safe>{placeText(t)}</td>
                <td safe>{personName(t.holder, me)}</td>
                <td safe>{money(t.price_cents, t.currency)}</td>
                <td>
                  <TicketStatus status={t.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <h2>Invoices</h2>
      {r.invoices.map((inv) => (
        <article class="invoice-card">
          <header>
            {/* Another payer's invoice is theirs to open (and the organizer's): its number, not a link to a 404. */}
            {inv.payer?.id === me || p.event.organizer?.id === me || p.ctx.user?.role === 'admin' ? (
              <a href={`/invoices/${inv.id}`} safe>
                {`Invoice ${inv.number}`}
              </a>
            ) : (
              <span safe>{`Invoice ${inv.number}`}</span>
            )}{' '}
            · <InvoiceStatus status={inv.status} />
          </header>
          <p safe>
            {`${money(inv.amount_cents, inv.currency)} · paid by ${
              inv.payer ? (inv.payer.id === me ? 'you' : inv.payer.display_name) : 'a deleted account'
            }${inv.status === 'open' ? ` · due ${when(inv.due_at)}` : ''}`}
          </p>
          {inv.status === 'open' && inv.payer?.id === me ? (
            <PayForm invoice={inv} csrf={p.ctx.csrf} next={`/reservations/${r.id}`} method={p.method} />
          ) : inv.status === 'open' ? (
            <p class="meta" safe>{`Waiting for ${inv.payer?.display_name ?? 'the payer'} to pay.`}</p>
          ) : (
            ''
          )}
        </article>
      ))}
    </Layout>
  )
}

export async function checkoutPages(app: FastifyInstance) {
  const { ctx } = app

  app.get(
    '/reservations/:id',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      const reservation = await getReservation(ctx, user, id)
      // The checkout is the booker's; the organizer sees reservations through the sales pages.
      if (!reservation.tickets.some((t) => t.booker?.id === user.id)) throw notFound('Reservation')
      const live = reservation.tickets.filter((t) => t.status === 'held' || t.status === 'confirmed')
      const myOpen = reservation.invoices.some((i) => i.status === 'open' && i.payer?.id === user.id)
      // A message already on its way (a payment refused because the hold ran out says so, and that nothing was
      // charged) goes on with the redirect instead of being replaced.
      const raw = req.cookies[FLASH_COOKIE]
      const unsigned = raw ? req.unsignCookie(raw) : null
      const pending = Boolean(unsigned?.valid && unsigned.value?.includes('"kind":"error"'))
      if (live.length === 0) {
        // Off sale since (cancelled, or started), the event page has no form to fill in again: it says why.
        const event = await getEvent(ctx, user, reservation.event_id)
        const onSale = event.status === 'published' && new Date(event.starts_at).getTime() > Date.now()
        if (!onSale) {
          if (!pending) flash(reply, 'error', 'Your hold has ended, and this event is no longer on sale.')
          return seeOther(reply, `/events/${reservation.event_id}`)
        }
        if (!pending) {
          flash(
            reply,
            'error',
            'Your hold has lapsed and the tickets went back on sale. Your choices are filled in again below.',
          )
        }
        return seeOther(reply, `/events/${reservation.event_id}?again=${reservation.id}`)
      }
      if (!myOpen && live.every((t) => t.status === 'confirmed')) {
        if (!pending) flash(reply, 'success', 'All paid: here are your tickets.')
        return seeOther(reply, '/tickets')
      }
      const event = await getEvent(ctx, user, reservation.event_id)
      return sendHtml(
        req,
        reply,
        <CheckoutPage
          ctx={pageCtx(req, reply)}
          config={ctx.config}
          reservation={reservation}
          event={event}
          now={new Date()}
          method={offeredMethod((req.query as { method?: unknown }).method)}
        />,
      )
    },
  )
}
