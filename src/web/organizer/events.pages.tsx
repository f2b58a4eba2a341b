// The organizer's pages: their events (drafts, on sale, cancelled), a new event with its first section, and one
// event to edit: its fields, its sections (add, edit, delete), publish and cancel. Every change goes through the
// events and box-office services, which decide who may; an event the person does not manage is a 404 here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { managesEvent } from '../../lib/access.js'
import { AppError, notFound } from '../../lib/errors.js'
import type { Page } from '../../lib/pagination.js'
import { Id } from '../../lib/schemas.js'
import { cancelEvent } from '../../modules/box-office/cancel-event.service.js'
import type { EventT, SectionT } from '../../modules/events/events.schemas.js'
import {
  createEvent,
  deleteEvent,
  getEvent,
  listEvents,
  publishEvent,
  updateEvent,
} from '../../modules/events/events.service.js'
import { addSection, deleteSection, updateSection } from '../../modules/events/sections.service.js'
import { attr, eventAvailability, money, when } from '../format.js'
import { ConfirmBox, CsrfField, ErrorSummary, Layout, Pager } from '../layout.js'
import {
  confirmed,
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  type PageCtx,
  pageCtx,
  pagesHref,
  refusedCtx,
  requestedPage,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import type { WebUser } from '../session.js'
import {
  EVENT_LABELS,
  EventFields,
  eventValues,
  readEventChange,
  readNewEvent,
  readSection,
  readSectionChange,
  SECTION_LABELS,
  SectionFields,
  sectionValues,
  type Values,
} from './forms.js'

/** The organizer's events by status, each list a page at a time (its page number in the query, by status). */
const MY_EVENTS_PER_PAGE = 50
const MY_EVENT_LISTS = [
  { status: 'draft', heading: 'Drafts' },
  { status: 'published', heading: 'Published' },
  { status: 'cancelled', heading: 'Cancelled' },
] as const
type MyEventStatus = (typeof MY_EVENT_LISTS)[number]['status']

function MyEventsTable(p: { label: string; events: EventT[] }): JSX.Element {
  return (
    <section class="table-wrap" tabindex="0" aria-label={p.label}>
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Starts</th>
            <th scope="col">Status</th>
            <th scope="col">Sold</th>
            <th scope="col">Sales</th>
          </tr>
        </thead>
        <tbody>
          {p.events.map((e) => (
            <tr>
              <th scope="row">
                <a href={`/organizer/events/${e.id}`} safe>
                  {e.title}
                </a>
              </th>
              <td data-label="Starts" safe>
                {when(e.starts_at, e.timezone)}
              </td>
              <td data-label="Status" safe>
                {eventAvailability(e).text}
              </td>
              <td data-label="Sold" safe>{`${e.tickets_sold} of ${e.capacity}`}</td>
              <td>
                <a href={`/organizer/events/${e.id}/sales`} aria-label={attr(`Sales of ${e.title}`)}>
                  Sales
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function MyEventsPage(p: { ctx: PageCtx; lists: Record<MyEventStatus, Page<EventT>> }) {
  const pages = Object.fromEntries(MY_EVENT_LISTS.map((l) => [l.status, p.lists[l.status].page]))
  const none = MY_EVENT_LISTS.every((l) => p.lists[l.status].total === 0)
  return (
    <Layout ctx={p.ctx} title="My events">
      <h1>My events</h1>
      <p>
        <a href="/organizer/events/new" class="cta">
          New event
        </a>{' '}
        <a href="/organizer/webhooks">Webhooks</a> · {/* Staff too: the events whose door they work. */}
        <a href="/check-in">Check-in at the door</a>
      </p>
      {none ? <p>You have not organized an event yet.</p> : ''}
      {MY_EVENT_LISTS.map((l) => {
        const list = p.lists[l.status]
        if (list.total === 0) return ''
        return (
          <>
            <h2 safe>{`${l.heading} (${list.total})`}</h2>
            {list.data.length > 0 ? <MyEventsTable label={l.heading} events={list.data} /> : ''}
            <Pager
              page={list.page}
              totalPages={list.total_pages}
              href={(n) => pagesHref('/organizer/events', pages, l.status, n)}
              label={`Pages of ${l.heading.toLowerCase()}`}
            />
          </>
        )
      })}
    </Layout>
  )
}

function NewEventPage(p: { ctx: PageCtx; values: Values; errors?: FormErrors }) {
  return (
    <Layout ctx={p.ctx} title="New event">
      <h1>New event</h1>
      <form method="post" action="/organizer/events/new">
        <CsrfField token={p.ctx.csrf} />
        <ErrorSummary errors={p.errors} labels={{ ...EVENT_LABELS, ...SECTION_LABELS }} />
        <EventFields values={p.values} errors={p.errors} />
        <fieldset>
          <legend>First section (more can be added after)</legend>
          <SectionFields values={p.values} errors={p.errors} />
        </fieldset>
        <button type="submit">Create draft</button>
      </form>
    </Layout>
  )
}

function SectionsTable(p: { event: EventT; csrf: string | null }) {
  const e = p.event
  return (
    <section class="table-wrap" tabindex="0" aria-label="Sections">
      <table class="stack">
        <thead>
          <tr>
            <th scope="col">Section</th>
            <th scope="col">Price</th>
            <th scope="col">Capacity</th>
            <th scope="col">Sold</th>
            <th scope="col">Held</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {e.sections.map((s) => (
            <tr>
              <th scope="row" safe>
                {`${s.name}${s.kind === 'seated' ? ` (seated, ${s.rows} rows × ${s.seats_per_row})` : ''}`}
              </th>
              <td data-label="Price" safe>
                {money(s.price_cents, e.currency)}
              </td>
              <td data-label="Capacity" safe>
                {String(s.capacity)}
              </td>
              <td data-label="Sold" safe>
                {String(s.sold)}
              </td>
              <td data-label="Held" safe>
                {String(s.held)}
              </td>
              <td>
                {e.status === 'cancelled' ? (
                  ''
                ) : (
                  <div class="actions">
                    <a
                      href={`/organizer/events/${e.id}/sections/${s.id}`}
                      aria-label={attr(`Edit ${s.name}`)}
                    >
                      Edit
                    </a>
                    {s.sold + s.held === 0 ? (
                      <form method="post" action={`/organizer/events/${e.id}/sections/${s.id}/delete`}>
                        <CsrfField token={p.csrf} />
                        <button type="submit" class="link-button" aria-label={attr(`Delete ${s.name}`)}>
                          Delete
                        </button>
                      </form>
                    ) : (
                      ''
                    )}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

interface EditState {
  event?: { values: Values; errors: FormErrors }
  section?: { values: Values; errors: FormErrors }
  /** Why the event was not cancelled, or the draft not deleted: the box was not ticked. */
  confirm?: string
}

function EditEventPage(p: { ctx: PageCtx; event: EventT; state?: EditState }) {
  const e = p.event
  const open = e.status !== 'cancelled'
  return (
    <Layout ctx={p.ctx} title={`Edit ${e.title}`}>
      <h1 safe>{e.title}</h1>
      <p>
        <span class="badge badge-few" safe>
          {eventAvailability(e).text}
        </span>{' '}
        <a href={`/events/${e.id}`}>Public page</a> · <a href={`/organizer/events/${e.id}/sales`}>Sales</a> ·{' '}
        <a href={`/organizer/events/${e.id}/staff`}>Staff</a> · <a href={`/check-in/${e.id}`}>Check-in</a> ·{' '}
        <a href={`/organizer/events/${e.id}/vouchers`}>Vouchers</a> ·{' '}
        <a href={`/organizer/events/${e.id}/waitlist`}>Waiting list</a>
      </p>
      {e.status === 'draft' ? (
        <form method="post" action={`/organizer/events/${e.id}/publish`}>
          <CsrfField token={p.ctx.csrf} />
          <p>This event is a draft: only you and the site's admins can see it.</p>
          <button type="submit">Publish</button>
        </form>
      ) : (
        ''
      )}
      <h2>Sections</h2>
      <SectionsTable event={e} csrf={p.ctx.csrf} />
      {open ? (
        <details open={p.state?.section ? true : undefined}>
          <summary>Add a section</summary>
          <form method="post" action={`/organizer/events/${e.id}/sections`}>
            <CsrfField token={p.ctx.csrf} />
            <ErrorSummary errors={p.state?.section?.errors} labels={SECTION_LABELS} />
            <SectionFields values={p.state?.section?.values ?? {}} errors={p.state?.section?.errors} />
            <button type="submit">Add section</button>
          </form>
        </details>
      ) : (
        ''
      )}
      {open ? (
        <>
          <h2>Details</h2>
          <form method="post" action={`/organizer/events/${e.id}`}>
            <CsrfField token={p.ctx.csrf} />
            <ErrorSummary errors={p.state?.event?.errors} labels={EVENT_LABELS} />
            <EventFields values={p.state?.event?.values ?? eventValues(e)} errors={p.state?.event?.errors} />
            {e.status === 'published' ? (
              <p>
                A new start or venue is e-mailed to everyone holding a ticket or waiting for one, with what it
                was.
              </p>
            ) : (
              ''
            )}
            <button type="submit">Save changes</button>
          </form>
        </>
      ) : (
        ''
      )}
      {e.status === 'published' ? (
        <section aria-labelledby="cancel-heading" class="danger">
          <h2 id="cancel-heading">Cancel the event</h2>
          <p>
            Cancelling voids open invoices, refunds every paid ticket and tells the holders. It cannot be
            undone.
          </p>
          <form method="post" action={`/organizer/events/${e.id}/cancel`}>
            <CsrfField token={p.ctx.csrf} />
            <ConfirmBox
              id="f-cancel-confirm"
              label="Yes, cancel this event and refund everyone"
              error={p.state?.confirm}
            />
            <button type="submit" class="secondary">
              Cancel the event
            </button>
          </form>
        </section>
      ) : (
        ''
      )}
      {e.status === 'draft' ? (
        <section aria-labelledby="delete-heading" class="danger">
          <h2 id="delete-heading">Delete the draft</h2>
          <p>A draft was never on sale: deleting it removes it and its sections for good.</p>
          <form method="post" action={`/organizer/events/${e.id}/delete`}>
            <CsrfField token={p.ctx.csrf} />
            <ConfirmBox id="f-delete-confirm" label="Yes, delete this draft" error={p.state?.confirm} />
            <button type="submit" class="secondary">
              Delete the draft
            </button>
          </form>
        </section>
      ) : (
        ''
      )}
    </Layout>
  )
}

function EditSectionPage(p: {
  ctx: PageCtx
  event: EventT
  section: SectionT
  values: Values
  errors?: FormErrors
}) {
  return (
    <Layout ctx={p.ctx} title={`Edit ${p.section.name}`}>
      <h1 safe>{`Edit ${p.section.name}`}</h1>
      <p>
        <a href={`/organizer/events/${p.event.id}`} safe>{`Back to ${p.event.title}`}</a>
      </p>
      <form method="post" action={`/organizer/events/${p.event.id}/sections/${p.section.id}`}>
        <CsrfField token={p.ctx.csrf} />
        <ErrorSummary errors={p.errors} labels={SECTION_LABELS} />
        <SectionFields values={p.values} errors={p.errors} kindFixed />
        <button type="submit">Save section</button>
      </form>
    </Layout>
  )
}

/** The event for its organizer or an admin; a 404 for anyone else (drafts and others' events alike). */
export async function managedEvent(app: FastifyInstance, user: WebUser, id: number): Promise<EventT> {
  const event = await getEvent(app.ctx, user, id)
  if (!managesEvent(user, { organizerId: event.organizer?.id ?? null })) throw notFound('Event')
  return event
}

export async function organizerEventPages(app: FastifyInstance) {
  const { ctx } = app
  const params = Type.Object({ id: Id })
  const sectionParams = Type.Object({ id: Id, section_id: Id })

  async function showEdit(
    req: FastifyRequest,
    reply: FastifyReply,
    id: number,
    state?: EditState,
    status = 200,
  ) {
    const event = await managedEvent(app, req.webUser!, id)
    const page = pageCtx(req, reply)
    return sendHtml(
      req,
      reply,
      <EditEventPage
        ctx={state?.confirm ? refusedCtx(page, state.confirm) : page}
        event={event}
        state={state}
      />,
      status,
    )
  }

  /** Runs a change; a refusal shows the edit page again with the message where it belongs. */
  async function change(
    req: FastifyRequest,
    reply: FastifyReply,
    id: number,
    run: () => Promise<string>,
    form?: { key: keyof EditState; values: Values },
  ) {
    try {
      flash(reply, 'success', await run())
      return seeOther(reply, `/organizer/events/${id}`)
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw err
      const errors = formErrorsOf(err)
      if (!form) {
        // A button without fields (publish, cancel, delete): its refusal is a message on the page.
        flash(reply, 'error', errors.form ?? Object.values(errors.fields)[0] ?? 'That could not be done')
        return seeOther(reply, `/organizer/events/${id}`)
      }
      const state: EditState = { [form.key]: { values: form.values, errors } }
      return showEdit(req, reply, id, state, (err as AppError).status)
    }
  }

  app.get('/organizer/events', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const lists = await Promise.all(
      MY_EVENT_LISTS.map(({ status }) =>
        listEvents(
          ctx,
          user,
          { status, organizer_id: user.id },
          requestedPage(req, MY_EVENTS_PER_PAGE, status),
        ),
      ),
    )
    return sendHtml(
      req,
      reply,
      <MyEventsPage
        ctx={pageCtx(req, reply)}
        lists={{ draft: lists[0]!, published: lists[1]!, cancelled: lists[2]! }}
      />,
    )
  })

  app.get('/organizer/events/new', { schema: { hide: true } }, async (req, reply) => {
    if (!requireUser(req, reply)) return reply
    return sendHtml(req, reply, <NewEventPage ctx={pageCtx(req, reply)} values={{ currency: 'AUD' }} />)
  })

  app.post('/organizer/events/new', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const form = readNewEvent(req.body)
    let errors = form.errors
    if (form.input) {
      try {
        const event = await createEvent(ctx, user, form.input)
        flash(reply, 'success', 'Draft created. Check it, then publish it.')
        return seeOther(reply, `/organizer/events/${event.id}`)
      } catch (err) {
        errors = formErrorsOf(err)
      }
    }
    return sendHtml(
      req,
      reply,
      <NewEventPage ctx={pageCtx(req, reply)} values={form.values} errors={errors} />,
      FORM_INVALID,
    )
  })

  app.get('/organizer/events/:id', { schema: { hide: true, params } }, async (req, reply) => {
    if (!requireUser(req, reply)) return reply
    return showEdit(req, reply, (req.params as { id: number }).id)
  })

  app.post('/organizer/events/:id', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const event = await managedEvent(app, user, id)
    const form = readEventChange(req.body, event)
    if (!form.input)
      return showEdit(req, reply, id, { event: { values: form.values, errors: form.errors } }, FORM_INVALID)
    const input = form.input
    return change(
      req,
      reply,
      id,
      async () => {
        const saved = await updateEvent(ctx, user, id, input)
        // A new zone moves no time left as it was: say what the times now read, so a start meant on the new
        // zone's clock is seen to need typing again.
        return saved.timezone === event.timezone
          ? 'Event saved.'
          : `Event saved. Its times are now shown on the clock of ${saved.timezone}: it starts ${when(saved.starts_at, saved.timezone)}.`
      },
      { key: 'event', values: form.values },
    )
  })

  app.post('/organizer/events/:id/publish', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    await managedEvent(app, user, id)
    return change(req, reply, id, async () => {
      await publishEvent(ctx, user, id)
      return 'Published: the event is on sale.'
    })
  })

  app.post('/organizer/events/:id/cancel', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    if (!confirmed(req))
      return showEdit(req, reply, id, { confirm: 'Tick the box to confirm the cancellation.' }, 422)
    await managedEvent(app, user, id)
    return change(req, reply, id, async () => {
      await cancelEvent(ctx, user, id)
      return 'The event is cancelled. Paid tickets are refunded and their holders told.'
    })
  })

  app.post('/organizer/events/:id/delete', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    if (!confirmed(req))
      return showEdit(req, reply, id, { confirm: 'Tick the box to confirm the deletion.' }, 422)
    const event = await managedEvent(app, user, id)
    // The pages delete drafts only: an event once on sale is cancelled, so its buyers are told (the API's
    // DELETE also takes an event that sold nothing).
    if (event.status !== 'draft') {
      flash(reply, 'error', 'Only a draft can be deleted: cancel a published event instead.')
      return seeOther(reply, `/organizer/events/${id}`)
    }
    try {
      await deleteEvent(ctx, user, id)
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw err
      const errors = formErrorsOf(err)
      flash(reply, 'error', errors.form ?? 'That could not be done')
      return seeOther(reply, `/organizer/events/${id}`)
    }
    flash(reply, 'success', `The draft “${event.title}” is deleted.`)
    return seeOther(reply, '/organizer/events')
  })

  app.post('/organizer/events/:id/sections', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const event = await managedEvent(app, user, id)
    const form = readSection(req.body, event.currency)
    if (!form.input)
      return showEdit(req, reply, id, { section: { values: form.values, errors: form.errors } }, FORM_INVALID)
    const input = form.input
    return change(
      req,
      reply,
      id,
      async () => {
        const section = await addSection(ctx, user, id, input)
        return `Section ${section.name} added.`
      },
      { key: 'section', values: form.values },
    )
  })

  app.get(
    '/organizer/events/:id/sections/:section_id',
    { schema: { hide: true, params: sectionParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, section_id } = req.params as { id: number; section_id: number }
      const event = await managedEvent(app, user, id)
      const section = event.sections.find((s) => s.id === section_id)
      if (!section) throw notFound('Section')
      return sendHtml(
        req,
        reply,
        <EditSectionPage
          ctx={pageCtx(req, reply)}
          event={event}
          section={section}
          values={sectionValues(section, event.currency)}
        />,
      )
    },
  )

  app.post(
    '/organizer/events/:id/sections/:section_id',
    { schema: { hide: true, params: sectionParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, section_id } = req.params as { id: number; section_id: number }
      const event = await managedEvent(app, user, id)
      const section = event.sections.find((s) => s.id === section_id)
      if (!section) throw notFound('Section')
      const form = readSectionChange(req.body, event.currency, section.kind)
      let errors = form.errors
      if (form.input) {
        try {
          await updateSection(ctx, user, id, section_id, form.input)
          flash(reply, 'success', 'Section saved.')
          return seeOther(reply, `/organizer/events/${id}`)
        } catch (err) {
          if (err instanceof AppError && err.status === 404) throw err
          errors = formErrorsOf(err, { CAPACITY_BELOW_SOLD: section.kind === 'seated' ? 'rows' : 'capacity' })
        }
      }
      return sendHtml(
        req,
        reply,
        <EditSectionPage
          ctx={pageCtx(req, reply)}
          event={event}
          section={section}
          values={form.values}
          errors={errors}
        />,
        FORM_INVALID,
      )
    },
  )

  app.post(
    '/organizer/events/:id/sections/:section_id/delete',
    { schema: { hide: true, params: sectionParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, section_id } = req.params as { id: number; section_id: number }
      await managedEvent(app, user, id)
      return change(req, reply, id, async () => {
        await deleteSection(ctx, user, id, section_id)
        return 'Section deleted.'
      })
    },
  )
}
