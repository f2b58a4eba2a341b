// Tickets: the ones the person holds or booked, one page per ticket with its status in words, its seat, and the
// actions with their deadlines (transfer to a friend, release or refund), and for its holder the entry QR code.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Ctx } from '../../context.js'
import { AppError, notFound } from '../../lib/errors.js'
import { pageParams } from '../../lib/pagination.js'
import { Id } from '../../lib/schemas.js'
import type { TicketT } from '../../modules/box-office/box-office.schemas.js'
import { cancelTicket } from '../../modules/box-office/refund.service.js'
import { transferTicket } from '../../modules/box-office/transfer.service.js'
import { getTicket, listMyTickets } from '../../modules/box-office/view.service.js'
import { listFriends } from '../../modules/friends/friends.service.js'
import { USERNAME_PATTERN } from '../../modules/users/users.schemas.js'
import { getUserByUsername } from '../../modules/users/users.service.js'
import { attr, money, when } from '../format.js'
import { ConfirmBox, CsrfField, Layout, Pager } from '../layout.js'
import {
  confirmed,
  flash,
  formErrorsOf,
  type PageCtx,
  pageCtx,
  refusedCtx,
  requestedPage,
  requireUser,
  seeOther,
  sendHtml,
  wholeNumberOf,
} from '../page.js'
import type { WebUser } from '../session.js'
import { type Handover, handoversOf } from './holder-only.js'
import { personName, placeText, seatText, TicketStatus } from './status.js'

const PER_PAGE = 50
/** Friends the transfer form lists; a member with more types a username (suggested from these). */
const TRANSFER_LISTED_FRIENDS = 100
const USERNAME = new RegExp(USERNAME_PATTERN)

/** The id of the member with this username (any case), or undefined. */
async function userIdByUsername(ctx: Ctx, username: string): Promise<number | undefined> {
  try {
    return (await getUserByUsername(ctx, username)).id
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return undefined
    throw err
  }
}

type Friend = { id: number; username: string; display_name: string }

function TicketsPage(p: {
  ctx: PageCtx
  tickets: TicketT[]
  handovers: Map<number, Handover>
  page: number
  totalPages: number
}) {
  const me = p.ctx.user?.id
  return (
    <Layout ctx={p.ctx} title="My tickets">
      <h1>My tickets</h1>
      {p.tickets.length === 0 ? (
        <p>
          No tickets yet. <a href="/">Find an event</a>.
        </p>
      ) : (
        <ul class="cards">
          {p.tickets.map((t) => (
            <li>
              <article class="ticket-card">
                <h2>
                  {/* Several tickets of one event: each link says which place it is to a screen reader too. */}
                  <a href={`/tickets/${t.id}`}>
                    <span safe>{t.event.title}</span>
                    <span class="visually-hidden" safe>{`, ${placeText(t)}`}</span>
                  </a>
                </h2>
                <p class="meta" safe>
                  {when(t.event.starts_at, t.event.timezone)}
                </p>
                <p safe>{placeText(t)}</p>
                <p>
                  <TicketStatus status={t.status} />
                </p>
                <p class="meta" safe>
                  {t.holder?.id === me
                    ? p.handovers.get(t.id)?.transferred
                      ? 'Transferred to you'
                      : t.booker && t.booker.id !== me
                        ? `Booked for you by ${t.booker.display_name}`
                        : 'Booked by you'
                    : `For ${t.holder?.display_name ?? 'a deleted account'}`}
                </p>
              </article>
            </li>
          ))}
        </ul>
      )}
      <Pager
        page={p.page}
        totalPages={p.totalPages}
        href={(n) => `/tickets?page=${n}`}
        words={['← Newer', 'Older →']}
      />
      <p>
        <a href="/invoices">My invoices</a> · <a href="/waitlist">My waiting lists</a>
      </p>
    </Layout>
  )
}

function TicketPage(p: {
  ctx: PageCtx
  ticket: TicketT
  friends: Friend[]
  /** More friends than `friends` lists: the form takes a username too. */
  moreFriends: boolean
  handover?: Handover
  /** Why the release or refund was not done: its box was not ticked. */
  confirmError?: string
}) {
  const t = p.ticket
  const me = p.ctx.user?.id
  const isHolder = t.holder?.id === me
  // The booker of a ticket now its holder's alone would only be refused ("only the holder can cancel it").
  const mayCancel = isHolder || !p.handover?.holderOnly
  // A ticket used at the door is neither transferred nor refunded (409 ALREADY_CHECKED_IN): no form to offer.
  const live = (t.status === 'held' || t.status === 'confirmed') && t.checked_in_at === null
  const started = new Date(t.event.starts_at).getTime() <= Date.now()
  return (
    <Layout ctx={p.ctx} title={`Ticket for ${t.event.title}`}>
      <article class="ticket">
        <header>
          <h1 safe>{t.event.title}</h1>
          <p>
            <TicketStatus status={t.status} />
          </p>
        </header>
        <dl class="facts">
          <dt>When</dt>
          <dd safe>{when(t.event.starts_at, t.event.timezone)}</dd>
          <dt>Section</dt>
          <dd safe>{t.section.name}</dd>
          <dt>Seat</dt>
          <dd safe>{seatText(t)}</dd>
          <dt>Holder</dt>
          <dd safe>{personName(t.holder, undefined, true)}</dd>
          {t.checked_in_at ? (
            <>
              <dt>Checked in</dt>
              <dd safe>{when(t.checked_in_at, t.event.timezone)}</dd>
            </>
          ) : (
            ''
          )}
          <dt>Booked by</dt>
          <dd safe>{personName(t.booker, undefined)}</dd>
          <dt>Price</dt>
          <dd safe>{money(t.price_cents, t.currency)}</dd>
        </dl>
        <section class="ticket-code" aria-labelledby="code-heading">
          <h2 id="code-heading">Entry code</h2>
          {t.status === 'confirmed' && t.code ? (
            <figure class="ticket-qr">
              <img
                src={`/tickets/${t.id}/qr.svg`}
                width="256"
                height="256"
                alt={attr(`Entry QR code for ${t.event.title}: ${placeText(t)}`)}
              />
              <figcaption>
                Show this at the door. If it cannot be scanned, the door can type this code:
                <code safe>{t.code}</code>
              </figcaption>
            </figure>
          ) : t.status === 'confirmed' ? (
            <p safe>{`The entry code is on ${personName(t.holder, undefined)}’s own ticket page.`}</p>
          ) : t.status === 'held' ? (
            <p>This ticket is held, not yet paid: it gets an entry code once paid.</p>
          ) : (
            <p safe>{`This ticket is ${t.status}: it has no entry code.`}</p>
          )}
        </section>
      </article>
      <p>
        <a href={`/events/${t.event.id}`}>The event</a>
        {t.status === 'held' ? (
          <>
            {' · '}
            <a href={`/reservations/${t.reservation_id}`}>Checkout</a>
          </>
        ) : (
          ''
        )}
        {t.invoice_id && p.handover?.payerId === me ? (
          <>
            {' · '}
            <a href={`/invoices/${t.invoice_id}`}>Invoice</a>
          </>
        ) : (
          ''
        )}
      </p>
      {live && t.status === 'confirmed' && isHolder && !started ? (
        <section aria-labelledby="transfer-heading">
          <h2 id="transfer-heading">Transfer to a friend</h2>
          {p.friends.length === 0 ? (
            <p>
              You can transfer a ticket to a friend. <a href="/friends">Add friends</a> first.
            </p>
          ) : (
            <form method="post" action={`/tickets/${t.id}/transfer`} class="compact">
              <CsrfField token={p.ctx.csrf} />
              {p.moreFriends ? (
                // Too many friends for one list: their username, with the first of them suggested as it is typed.
                <>
                  <label for="f-username">
                    Friend’s username
                    <input
                      id="f-username"
                      name="username"
                      list="f-friends"
                      required
                      maxlength={30}
                      autocomplete="off"
                      aria-describedby="f-username-hint"
                    />
                    <small id="f-username-hint" safe>
                      {`Any of your friends, e.g. @${p.friends[0]!.username}`}
                    </small>
                  </label>
                  <datalist id="f-friends">
                    {p.friends.map((f) => (
                      <option value={attr(f.username)} safe>
                        {f.display_name}
                      </option>
                    ))}
                  </datalist>
                </>
              ) : (
                <label for="f-user_id">
                  Friend
                  <select id="f-user_id" name="user_id" required>
                    {p.friends.map((f) => (
                      <option value={String(f.id)} safe>{`${f.display_name} (@${f.username})`}</option>
                    ))}
                  </select>
                </label>
              )}
              <button type="submit">Transfer this ticket</button>
            </form>
          )}
        </section>
      ) : (
        ''
      )}
      {live && !(t.status === 'confirmed' && started) && mayCancel ? (
        <section aria-labelledby="cancel-heading">
          <h2 id="cancel-heading">{t.status === 'held' ? 'Release' : 'Refund'}</h2>
          <p safe>
            {t.status === 'held'
              ? `Not going? Release the place now; otherwise the hold lapses at ${when(t.expires_at ?? t.event.starts_at)}.`
              : `Refunds are possible until the event starts (${when(t.event.starts_at, t.event.timezone)}).`}
          </p>
          <form method="post" action={`/tickets/${t.id}/cancel`} class="compact">
            <CsrfField token={p.ctx.csrf} />
            <ConfirmBox
              id="f-cancel-confirm"
              label={
                t.status === 'held'
                  ? 'Yes, let this place go: it goes back on sale'
                  : 'Yes, refund this ticket: its place goes back on sale'
              }
              error={p.confirmError}
            />
            <button type="submit" class="secondary">
              {t.status === 'held' ? 'Release this ticket' : 'Refund this ticket'}
            </button>
          </form>
        </section>
      ) : (
        ''
      )}
    </Layout>
  )
}

export async function ticketPages(app: FastifyInstance) {
  const { ctx } = app
  const params = Type.Object({ id: Id })

  app.get('/tickets', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const page = requestedPage(req, PER_PAGE)
    const result = await listMyTickets(ctx, user, {}, page)
    const handovers = await handoversOf(
      ctx,
      result.data.map((t) => t.id),
    )
    return sendHtml(
      req,
      reply,
      <TicketsPage
        ctx={pageCtx(req, reply)}
        tickets={result.data}
        handovers={handovers}
        page={result.page}
        totalPages={result.total_pages}
      />,
    )
  })

  /** The holder's and the booker's page; the organizer sees tickets through the sales pages. */
  async function pageTicket(user: WebUser, id: number): Promise<TicketT> {
    const ticket = await getTicket(ctx, user, id)
    if (ticket.holder?.id !== user.id && ticket.booker?.id !== user.id) throw notFound('Ticket')
    return ticket
  }

  /** The ticket's page; `confirmError` shows it again (422) with the reason its release or refund was not done. */
  async function showTicket(
    req: FastifyRequest,
    reply: FastifyReply,
    user: WebUser,
    ticket: TicketT,
    confirmError?: string,
  ) {
    const friends =
      ticket.holder?.id === user.id && ticket.status === 'confirmed'
        ? await listFriends(ctx, user, pageParams({ page: 1, per_page: TRANSFER_LISTED_FRIENDS }))
        : null
    const handover = (await handoversOf(ctx, [ticket.id])).get(ticket.id)
    const page = pageCtx(req, reply)
    return sendHtml(
      req,
      reply,
      <TicketPage
        ctx={confirmError ? refusedCtx(page, confirmError) : page}
        ticket={ticket}
        friends={friends?.data ?? []}
        moreFriends={(friends?.total ?? 0) > TRANSFER_LISTED_FRIENDS}
        handover={handover}
        confirmError={confirmError}
      />,
      confirmError ? 422 : 200,
    )
  }

  app.get('/tickets/:id', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    return showTicket(req, reply, user, await pageTicket(user, (req.params as { id: number }).id))
  })

  /** Runs an action on ticket `id`: done, to `done` (the ticket's page by default) with its message; refused, back to the ticket. */
  async function act(
    reply: Parameters<typeof seeOther>[0],
    id: number,
    run: () => Promise<string>,
    done = `/tickets/${id}`,
  ) {
    try {
      flash(reply, 'success', await run())
      return seeOther(reply, done)
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500 || err.status === 404) throw err
      // A field's refusal without the API's path before it ("body.user_id: ...").
      const errors = formErrorsOf(err)
      flash(reply, 'error', errors.form ?? Object.values(errors.fields)[0] ?? 'That could not be done')
      return seeOther(reply, `/tickets/${id}`)
    }
  }

  app.post('/tickets/:id/transfer', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    // Another member's ticket is a 404 before anything about the form is said.
    await pageTicket(user, id)
    const body = req.body as { user_id?: unknown; username?: unknown } | undefined
    // The list's choice, or a username typed where the friends are too many for a list ('@' or not).
    const typed = typeof body?.username === 'string' ? body.username.trim().replace(/^@/, '') : ''
    let to = wholeNumberOf(body?.user_id)
    if (to === undefined && typed) {
      const found = USERNAME.test(typed) ? await userIdByUsername(ctx, typed) : undefined
      if (found === undefined) {
        flash(reply, 'error', 'None of your friends has that username.')
        return seeOther(reply, `/tickets/${id}`)
      }
      to = found
    }
    // No friend chosen (a blank or garbled value, or the holder's own id typed in) is the form's error, not the
    // 404 of a user 0.
    if (!to || to === user.id) {
      flash(reply, 'error', 'Choose the friend to transfer the ticket to.')
      return seeOther(reply, `/tickets/${id}`)
    }
    // Done, back to the list: a ticket passed on is no longer its sender's to see, unless they booked it.
    return act(
      reply,
      id,
      async () => {
        const ticket = await transferTicket(ctx, user, id, to)
        return `Ticket transferred to ${ticket.holder?.display_name ?? 'your friend'}.`
      },
      '/tickets',
    )
  })

  app.post('/tickets/:id/cancel', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    // As the event's cancel form: a place given up goes back on sale at once, so one click is not enough.
    if (!confirmed(req)) {
      return showTicket(
        req,
        reply,
        user,
        await pageTicket(user, id),
        'Tick the box to confirm: the place goes back on sale.',
      )
    }
    return act(reply, id, async () => {
      const before = await getTicket(ctx, user, id)
      await cancelTicket(ctx, user, id)
      return before.status === 'held' ? 'The ticket was released.' : 'The ticket was refunded.'
    })
  })
}
