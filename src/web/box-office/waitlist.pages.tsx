// The waiting list in the browser: the block of a sold-out event page (join with section, quantity, together and
// friends; one's place and a Leave button once waiting), the member's /waitlist page, and the forms they post.
// Every form works without JavaScript and carries the CSRF token; the pages call the box office's services.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import {
  JoinWaitlistBody,
  type JoinWaitlistInput,
  MAX_WAITLIST_QUANTITY,
  type WaitlistEntryT,
} from '../../modules/box-office/waitlist.schemas.js'
import { joinWaitlist, leaveWaitlist, listMyWaitlist } from '../../modules/box-office/waitlist.service.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEvent } from '../../modules/events/events.service.js'
import { when } from '../format.js'
import { CsrfField, Layout } from '../layout.js'
import {
  flash,
  formErrorsOf,
  formList,
  type PageCtx,
  pageCtx,
  parseForm,
  requestedPage,
  requireUser,
  safeNext,
  seeOther,
  sendHtml,
  wholeNumberOf,
} from '../page.js'

const STATUS_WORDS: Record<WaitlistEntryT['status'], string> = {
  waiting: 'Waiting',
  offered: 'Offered: pay to keep the tickets',
  converted: 'Paid',
  expired: 'Closed',
  left: 'Left',
}

function LeaveForm(p: {
  entry: WaitlistEntryT
  csrf: string | null
  next: string
  label: string
}): JSX.Element {
  return (
    <form method="post" action={`/waitlist/${p.entry.id}/leave`} class="inline">
      <CsrfField token={p.csrf} />
      <input type="hidden" name="next" value={p.next} />
      <button type="submit" class="secondary" aria-label={p.label}>
        Leave
      </button>
    </form>
  )
}

/**
 * The event page's waiting-list block, for a signed-in member while the event is on sale and a section is sold
 * out: their live entries (place in the queue, or the offer to pay) with Leave, and a form to join.
 */
export function WaitlistBlock(p: {
  event: EventT
  csrf: string | null
  entries: WaitlistEntryT[]
  friends: { id: number; username: string; display_name: string }[]
}): JSX.Element {
  const e = p.event
  const sectionName = (id: number) => e.sections.find((s) => s.id === id)?.name ?? 'A section'
  const waitingIn = new Set(p.entries.map((x) => x.section_id))
  const open = e.sections.filter((s) => !waitingIn.has(s.id))
  const full = open.find((s) => s.available === 0) ?? open[0]
  return (
    <section aria-labelledby="waitlist-heading" id="waitlist">
      <h2 id="waitlist-heading">Waiting list</h2>
      {p.entries.length > 0 ? (
        <ul>
          {p.entries.map((x) => (
            <li>
              {x.status === 'offered' ? (
                <>
                  <span safe>{`${sectionName(x.section_id)}: tickets are held for you`}</span>{' '}
                  <a href={`/reservations/${x.reservation_id}`}>Pay now</a>
                </>
              ) : (
                <span
                  safe
                >{`${sectionName(x.section_id)}: you are number ${x.position} in the queue for ${x.quantity} ticket${x.quantity === 1 ? '' : 's'}`}</span>
              )}{' '}
              <LeaveForm
                entry={x}
                csrf={p.csrf}
                next={`/events/${e.id}`}
                label={`Leave the waiting list for ${sectionName(x.section_id)}`}
              />
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
      {full ? (
        <form method="post" action={`/events/${e.id}/waitlist`}>
          <CsrfField token={p.csrf} />
          <p>
            Sold out? Join the waiting list: when places come back, they are held for you and you get an
            e-mail.
          </p>
          <label for="w-section_id">
            Section
            <select id="w-section_id" name="section_id" required>
              {open.map((s) => (
                <option value={String(s.id)} selected={s.id === full.id} safe>
                  {`${s.name}${s.available === 0 ? ' (sold out)' : ''}`}
                </option>
              ))}
            </select>
          </label>
          <label for="w-quantity">
            Number of tickets
            <input
              id="w-quantity"
              type="number"
              name="quantity"
              min="1"
              max="10"
              value="1"
              inputmode="numeric"
              required
            />
          </label>
          {e.sections.some((s) => s.kind === 'seated') ? (
            <label>
              <input type="checkbox" name="together" value="true" checked />
              Seats together
            </label>
          ) : (
            ''
          )}
          {p.friends.length > 0 ? (
            <fieldset>
              <legend>Who is coming with you</legend>
              {p.friends.map((f) => (
                <label>
                  <input type="checkbox" name="attendee_ids" value={String(f.id)} />
                  <span safe>{`${f.display_name} (@${f.username})`}</span>
                </label>
              ))}
              <label>
                <input type="checkbox" name="split_payment" value="true" />
                Each pays their own ticket
              </label>
            </fieldset>
          ) : (
            ''
          )}
          <button type="submit">Join the waiting list</button>
        </form>
      ) : (
        ''
      )}
    </section>
  )
}

function MyWaitlistPage(p: {
  ctx: PageCtx
  entries: { entry: WaitlistEntryT; event: string; section: string }[]
}): JSX.Element {
  return (
    <Layout ctx={p.ctx} title="My waiting lists">
      <h1>My waiting lists</h1>
      {p.entries.length === 0 ? (
        <p>You are on no waiting list.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="My waiting-list entries">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Section</th>
                <th scope="col">Tickets</th>
                <th scope="col">Status</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.entries.map(({ entry: x, event, section }) => (
                <tr>
                  <th scope="row">
                    <a href={`/events/${x.event_id}`} safe>
                      {event}
                    </a>
                  </th>
                  <td data-label="Section" safe>
                    {section}
                  </td>
                  <td data-label="Tickets" safe>
                    {String(x.quantity)}
                  </td>
                  <td data-label="Status">
                    {x.status === 'waiting' ? (
                      <span safe>{`Waiting: number ${x.position}`}</span>
                    ) : x.status === 'offered' ? (
                      <a href={`/reservations/${x.reservation_id}`} safe>
                        {STATUS_WORDS.offered}
                      </a>
                    ) : (
                      <span safe>{STATUS_WORDS[x.status]}</span>
                    )}
                  </td>
                  <td data-label="Joined">
                    <time datetime={x.created_at} safe>
                      {when(x.created_at)}
                    </time>
                  </td>
                  <td>
                    {x.status === 'waiting' || x.status === 'offered' ? (
                      <LeaveForm
                        entry={x}
                        csrf={p.ctx.csrf}
                        next="/waitlist"
                        label={`Leave the waiting list for ${event}, ${section}`}
                      />
                    ) : (
                      ''
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </Layout>
  )
}

export async function waitlistPages(app: FastifyInstance) {
  const { ctx } = app

  app.post(
    '/events/:id/waitlist',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      const body = (req.body ?? {}) as Record<string, unknown>
      const sectionId = wholeNumberOf(body.section_id)
      const quantity = wholeNumberOf(body.quantity) ?? 1
      const attendees = formList(body.attendee_ids).map((a) => wholeNumberOf(a))
      const back = `/events/${id}#waitlist`
      if (sectionId === undefined || attendees.some((a) => a === undefined || a === user.id)) {
        flash(reply, 'error', 'Choose a section, and friends from the list.')
        return seeOther(reply, back)
      }
      // The JSON route's checks: a hand-edited quantity past the list's limit is refused in words.
      const form = parseForm<JoinWaitlistInput>(JoinWaitlistBody, {
        section_id: sectionId,
        quantity: attendees.length > 0 ? 1 + attendees.length : quantity,
        together: body.together === 'true',
        ...(attendees.length > 0 ? { attendee_ids: attendees } : {}),
        split_payment: body.split_payment === 'true',
      })
      if (!form.ok) {
        const message = form.errors.fields.quantity
          ? `Choose 1 to ${MAX_WAITLIST_QUANTITY} tickets, you and your friends together.`
          : 'Choose a section, and friends from the list.'
        flash(reply, 'error', message)
        return seeOther(reply, back)
      }
      try {
        const entry = await joinWaitlist(ctx, user, id, form.value)
        flash(reply, 'success', `You are on the waiting list: number ${entry.position}.`)
      } catch (err) {
        const errors = formErrorsOf(err)
        flash(reply, 'error', errors.form ?? Object.values(errors.fields)[0] ?? 'That could not be done')
      }
      return seeOther(reply, back)
    },
  )

  app.post(
    '/waitlist/:id/leave',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      const next = safeNext((req.body as { next?: unknown } | undefined)?.next, '/waitlist')
      try {
        await leaveWaitlist(ctx, user, id)
        flash(reply, 'success', 'You left the waiting list.')
      } catch (err) {
        const errors = formErrorsOf(err)
        flash(reply, 'error', errors.form ?? 'That could not be done')
      }
      return seeOther(reply, next)
    },
  )

  app.get('/waitlist', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const page = await listMyWaitlist(ctx, user, requestedPage(req, 50))
    const events = new Map<number, EventT | null>()
    for (const x of page.data) {
      if (events.has(x.event_id)) continue
      events.set(
        x.event_id,
        await getEvent(ctx, user, x.event_id).catch((err: unknown) => {
          // An event the member may no longer see (unpublished since) still lists their entry.
          if (err instanceof AppError && err.status === 404) return null
          throw err
        }),
      )
    }
    const entries = page.data.map((entry) => {
      const event = events.get(entry.event_id)
      return {
        entry,
        event: event?.title ?? 'An event no longer shown',
        section: event?.sections.find((s) => s.id === entry.section_id)?.name ?? '',
      }
    })
    return sendHtml(req, reply, <MyWaitlistPage ctx={pageCtx(req, reply)} entries={entries} />)
  })
}
