// The waiting list in the browser: the forms of the event page's block (events/waitlist-block.tsx: join with
// section, quantity, together and friends; Leave once waiting), and the member's /waitlist page. Every form works
// without JavaScript and carries the CSRF token; the pages call the box office's services. A refused join shows
// the event page again with the block's choices kept and the reason beside its field.
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
import { getEvent } from '../../modules/events/events.service.js'
import { showEventPage } from '../events/events.pages.js'
import { LeaveForm, type WaitlistValues } from '../events/waitlist-block.js'
import { when } from '../format.js'
import { Layout } from '../layout.js'
import {
  FORM_INVALID,
  flash,
  formErrorsOf,
  formList,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  requestedPage,
  requireUser,
  safeNext,
  seeOther,
  sendHtml,
  wholeNumberOf,
  withErrors,
} from '../page.js'
import { notTheParty, partyQuantity } from './party.js'
import { seenEvents, UNSHOWN_EVENT } from './seen-events.js'

/** Which field of the block a refusal belongs beside (the rest show above the form). */
const FIELD_OF_CODE: Record<string, string> = {
  NOT_FRIENDS: 'attendee_ids',
  TICKET_LIMIT_EXCEEDED: 'quantity',
}

const PLACES_CAME_BACK =
  'Places came back in this section since the page was loaded: reserve them under “Reserve”, no waiting needed.'

const STATUS_WORDS: Record<WaitlistEntryT['status'], string> = {
  waiting: 'Waiting',
  offered: 'Offered: pay to keep the tickets',
  converted: 'Paid',
  expired: 'Closed',
  left: 'Left',
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
                        {x.offer_expires_at
                          ? `${STATUS_WORDS.offered} by ${when(x.offer_expires_at)}`
                          : STATUS_WORDS.offered}
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
      const values: WaitlistValues = {
        section_id: typeof body.section_id === 'string' ? body.section_id : undefined,
        quantity: typeof body.quantity === 'string' ? body.quantity : undefined,
        together: body.together === 'true',
        attendee_ids: formList(body.attendee_ids),
        split_payment: body.split_payment === 'true',
      }
      const event = await getEvent(ctx, user, id)
      const sectionId = wholeNumberOf(values.section_id)
      // Every field's own check, then the JSON route's schema on what they built, each beside its field.
      const own: Record<string, string> = {}
      if (!event.sections.some((s) => s.id === sectionId)) own.section_id = 'Choose a section'
      // The list offers friends only: an id that is no number, or the member's own, was typed in by hand.
      const attendees = values.attendee_ids.map(wholeNumberOf)
      if (attendees.some((a) => a === undefined || a === user.id))
        own.attendee_ids = 'Choose friends from the list'
      const typed = wholeNumberOf(values.quantity)
      // Digits too many to read are a number out of range, as the schema says of one it can read.
      if (values.quantity && typed === undefined)
        own.quantity = /^\d+$/.test(values.quantity)
          ? `Choose 1 to ${MAX_WAITLIST_QUANTITY} tickets, you and your friends together.`
          : 'Enter a whole number'
      const friends = attendees.filter((a) => a !== undefined)
      // As on the reserve form: ticked friends with the number left at 1 are that many more; another number is
      // the member's to mend.
      const quantity = partyQuantity(friends.length, typed) ?? 1
      if (friends.length > 0 && quantity !== 1 + friends.length && !own.quantity)
        own.quantity = notTheParty(friends.length, 'tickets')
      const form = parseForm<JoinWaitlistInput>(JoinWaitlistBody, {
        section_id: sectionId ?? 0,
        quantity,
        together: values.together,
        ...(friends.length > 0 ? { attendee_ids: friends } : {}),
        split_payment: values.split_payment,
      })
      const errors = withErrors(form.ok ? NO_ERRORS : form.errors, own)
      // A number past the list's limit, typed or made by ticking friends, in the block's words.
      if (errors.fields.quantity && !own.quantity) {
        errors.fields.quantity = `Choose 1 to ${MAX_WAITLIST_QUANTITY} tickets, you and your friends together.`
      }
      if (!form.ok || Object.keys(own).length > 0) {
        return showEventPage(app, req, reply, id, { waitlist: { values, errors } }, FORM_INVALID)
      }
      try {
        const entry = await joinWaitlist(ctx, user, id, form.value)
        flash(reply, 'success', `You are on the waiting list: number ${entry.position}.`)
        return seeOther(reply, `/events/${id}#waitlist`)
      } catch (err) {
        const refused = formErrorsOf(err, FIELD_OF_CODE)
        // A page loaded while the section was sold out: its places came back since, for anyone to reserve.
        if (err instanceof AppError && err.code === 'SEATS_AVAILABLE') refused.form = PLACES_CAME_BACK
        return showEventPage(
          app,
          req,
          reply,
          id,
          { waitlist: { values, errors: refused } },
          (err as AppError).status,
        )
      }
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
    const events = await seenEvents(
      ctx,
      user,
      page.data.map((x) => x.event_id),
    )
    const entries = page.data.map((entry) => {
      const event = events.get(entry.event_id)
      return {
        entry,
        event: event?.title ?? UNSHOWN_EVENT,
        section: event?.sections.find((s) => s.id === entry.section_id)?.name ?? '',
      }
    })
    return sendHtml(req, reply, <MyWaitlistPage ctx={pageCtx(req, reply)} entries={entries} />)
  })
}
