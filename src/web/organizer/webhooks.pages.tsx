// The organizer's webhooks: their endpoints (add one, its secret shown once; deactivate, reactivate, delete) and
// each endpoint's delivery log with a button to send a delivery again. The same services as the JSON API.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { pageParams } from '../../lib/pagination.js'
import { Id } from '../../lib/schemas.js'
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookDeliveryT,
  type WebhookEndpointT,
  type WebhookEventType,
} from '../../modules/webhooks/webhooks.schemas.js'
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  MAX_WEBHOOKS_PER_USER,
  redeliver,
  updateWebhook,
} from '../../modules/webhooks/webhooks.service.js'
import { when } from '../format.js'
import { ConfirmBox, CsrfField, Field, FormError, Layout, Pager } from '../layout.js'
import {
  confirmed,
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  type PageCtx,
  pageCtx,
  refusedCtx,
  requestedPage,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import type { WebUser } from '../session.js'

const EVENT_LABELS: Record<WebhookEventType, string> = {
  'ticket.confirmed': 'A ticket is paid for (ticket.confirmed)',
  'ticket.refunded': 'A ticket is refunded (ticket.refunded)',
  'ticket.transferred': 'A ticket is transferred (ticket.transferred)',
  'event.cancelled': 'An event is cancelled (event.cancelled)',
  'check_in.created': 'Someone is checked in (check_in.created)',
  'waitlist.offered': 'A waiting-list offer is made (waitlist.offered)',
}

const STATUS_WORDS: Record<WebhookDeliveryT['status'], string> = {
  pending: 'Pending',
  succeeded: 'Delivered',
  failed: 'Failed',
}

/** A pending delivery whose attempts so far failed is being retried, not waiting for its first try. */
const statusWords = (d: WebhookDeliveryT) =>
  d.status === 'pending' && d.attempts > 0 ? 'Failed, will retry' : STATUS_WORDS[d.status]

interface NewHookForm {
  url: string
  events: string[]
}

function NewWebhookForm(p: { csrf: string | null; values: NewHookForm; errors?: FormErrors }) {
  const eventsError = p.errors?.fields.events
  return (
    <form method="post" action="/organizer/webhooks">
      <CsrfField token={p.csrf} />
      <FormError message={p.errors?.form} />
      <Field
        name="url"
        label="URL"
        type="url"
        required
        maxlength={2000}
        value={p.values.url}
        error={p.errors?.fields.url}
        hint="http or https, on a public address. We POST each event there, signed (Standard Webhooks)."
      />
      <fieldset aria-describedby={eventsError ? 'f-events-error' : undefined}>
        <legend>Send me</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <label>
            <input
              type="checkbox"
              name="events"
              value={type}
              checked={p.values.events.includes(type) ? true : undefined}
            />
            <span safe>{EVENT_LABELS[type]}</span>
          </label>
        ))}
        {eventsError ? (
          <small id="f-events-error" class="field-error" safe>
            {eventsError}
          </small>
        ) : (
          ''
        )}
      </fieldset>
      <button type="submit">Add webhook</button>
    </form>
  )
}

function WebhooksPage(p: {
  ctx: PageCtx
  hooks: WebhookEndpointT[]
  values: NewHookForm
  errors?: FormErrors
  created?: { id: number; secret: string }
}) {
  return (
    <Layout ctx={p.ctx} title="Webhooks">
      <h1>Webhooks</h1>
      <p>
        Your events can tell your own systems what happens at them: each webhook is a URL that gets a signed
        POST for the kinds of happenings you choose. <a href="/organizer/events">My events</a>
      </p>
      {p.created ? (
        <section aria-labelledby="secret-heading" role="status">
          <h2 id="secret-heading">Webhook added: its signing secret</h2>
          <p>Copy it now: it is not shown again. Verify each delivery's signature with it.</p>
          <p>
            <code id="webhook-secret" safe>
              {p.created.secret}
            </code>
          </p>
          <p>
            <a href={`/organizer/webhooks/${p.created.id}`}>Open the webhook</a>
          </p>
        </section>
      ) : (
        ''
      )}
      {p.hooks.length === 0 ? (
        <p>You have no webhooks yet.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="My webhooks">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Added</th>
              </tr>
            </thead>
            <tbody>
              {p.hooks.map((h) => (
                <tr>
                  <th scope="row">
                    <a href={`/organizer/webhooks/${h.id}`} safe>
                      {h.url}
                    </a>
                  </th>
                  <td data-label="Events" safe>
                    {h.events.join(', ')}
                  </td>
                  <td data-label="Status">{h.active ? 'Active' : 'Deactivated'}</td>
                  <td data-label="Added" safe>
                    {when(h.created_at)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <h2>Add a webhook</h2>
      {p.hooks.length >= MAX_WEBHOOKS_PER_USER ? (
        <p>{`You have ${MAX_WEBHOOKS_PER_USER} webhooks, the most an account may have: delete one first.`}</p>
      ) : (
        <NewWebhookForm csrf={p.ctx.csrf} values={p.values} errors={p.errors} />
      )}
    </Layout>
  )
}

function WebhookPage(p: {
  ctx: PageCtx
  hook: WebhookEndpointT
  deliveries: WebhookDeliveryT[]
  page: number
  totalPages: number
  /** Why the webhook was not deleted: its box was not ticked. */
  confirmError?: string
}) {
  const h = p.hook
  const base = `/organizer/webhooks/${h.id}`
  return (
    <Layout ctx={p.ctx} title="Webhook">
      <h1>Webhook</h1>
      <p>
        <code safe>{h.url}</code>{' '}
        <span class={`badge ${h.active ? 'badge-ok' : 'badge-soldout'}`}>
          {h.active ? 'Active' : 'Deactivated'}
        </span>
      </p>
      <p safe>{`Sends: ${h.events.join(', ')}`}</p>
      <div class="actions">
        <form method="post" action={`${base}/active`}>
          <CsrfField token={p.ctx.csrf} />
          <input type="hidden" name="active" value={h.active ? 'false' : 'true'} />
          <button type="submit" class="secondary">
            {h.active ? 'Deactivate' : 'Reactivate'}
          </button>
        </form>
        <form method="post" action={`${base}/delete`}>
          <CsrfField token={p.ctx.csrf} />
          <ConfirmBox
            id="f-delete-confirm"
            label="Delete this webhook and its delivery log"
            error={p.confirmError}
          />
          <button type="submit" class="secondary">
            Delete
          </button>
        </form>
      </div>
      <h2>Deliveries</h2>
      {p.deliveries.length === 0 ? (
        <p>Nothing has been sent to this webhook yet.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="Deliveries">
          <table class="stack">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">When</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
                <th scope="col">Next attempt</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {p.deliveries.map((d) => (
                <tr>
                  <th scope="row">{d.type}</th>
                  <td data-label="When" safe>
                    {when(d.created_at)}
                  </td>
                  <td data-label="Status" safe>
                    {statusWords(d)}
                  </td>
                  <td data-label="Attempts" safe>
                    {String(d.attempts)}
                  </td>
                  <td data-label="Last answer" safe>
                    {d.last_status_code === null
                      ? d.attempts > 0
                        ? 'No answer'
                        : '—'
                      : String(d.last_status_code)}
                  </td>
                  <td data-label="Next attempt">{d.next_attempt_at ? when(d.next_attempt_at) : '—'}</td>
                  <td>
                    <form method="post" action={`${base}/deliveries/${d.id}/redeliver`}>
                      <CsrfField token={p.ctx.csrf} />
                      <button
                        type="submit"
                        class="link-button"
                        aria-label={`Redeliver ${d.type} of ${when(d.created_at)}`}
                      >
                        Redeliver
                      </button>
                    </form>
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
        href={(n) => `${base}?page=${n}`}
        words={['← Newer', 'Older →']}
      />
      <p>
        <a href="/organizer/webhooks">All webhooks</a>
      </p>
    </Layout>
  )
}

const params = Type.Object({ id: Id })
const deliveryParams = Type.Object({ id: Id, delivery_id: Id })
const DELIVERIES_PER_PAGE = 20

/** The posted new-webhook form: `events` arrives as one string for one box, an array for more. */
function readNewHook(body: unknown): NewHookForm {
  const b = (body ?? {}) as { url?: unknown; events?: unknown }
  const events = [b.events ?? []].flat().filter((e): e is string => typeof e === 'string')
  return { url: typeof b.url === 'string' ? b.url.trim() : '', events }
}

export async function webhookPages(app: FastifyInstance) {
  const { ctx } = app
  const allMine = pageParams({ page: 1, per_page: MAX_WEBHOOKS_PER_USER })

  app.get('/organizer/webhooks', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const hooks = await listWebhooks(ctx, user, allMine)
    return sendHtml(
      req,
      reply,
      <WebhooksPage ctx={pageCtx(req, reply)} hooks={hooks.data} values={{ url: '', events: [] }} />,
    )
  })

  app.post('/organizer/webhooks', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const values = readNewHook(req.body)
    let errors: FormErrors = { fields: {} }
    if (!values.url) errors.fields.url = 'Enter the URL to send to'
    if (values.events.length === 0) errors.fields.events = 'Choose at least one kind of event'
    const known = values.events.every((e) => (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e))
    if (!known) errors.fields.events = 'Choose from the list'
    let created: { id: number; secret: string } | undefined
    if (Object.keys(errors.fields).length === 0) {
      try {
        const hook = await createWebhook(ctx, user, {
          url: values.url,
          events: [...new Set(values.events)] as WebhookEventType[],
        })
        created = { id: hook.id, secret: hook.secret }
      } catch (err) {
        errors = formErrorsOf(err, { WEBHOOK_URL_FORBIDDEN: 'url' })
      }
    }
    const hooks = await listWebhooks(ctx, user, allMine)
    // The secret is shown in this answer only: never through a redirect, a cookie or a later page.
    return sendHtml(
      req,
      reply,
      created ? (
        <WebhooksPage
          ctx={pageCtx(req, reply)}
          hooks={hooks.data}
          values={{ url: '', events: [] }}
          created={created}
        />
      ) : (
        <WebhooksPage ctx={pageCtx(req, reply)} hooks={hooks.data} values={values} errors={errors} />
      ),
      created ? 201 : FORM_INVALID,
    )
  })

  /** The webhook's page; `confirmError` shows it again (422) with the reason it was not deleted. */
  async function showWebhook(
    req: FastifyRequest,
    reply: FastifyReply,
    user: WebUser,
    id: number,
    confirmError?: string,
  ) {
    const hook = await getWebhook(ctx, user, id)
    const deliveries = await listDeliveries(ctx, user, id, requestedPage(req, DELIVERIES_PER_PAGE))
    const page = pageCtx(req, reply)
    return sendHtml(
      req,
      reply,
      <WebhookPage
        ctx={confirmError ? refusedCtx(page, confirmError) : page}
        hook={hook}
        deliveries={deliveries.data}
        page={deliveries.page}
        totalPages={deliveries.total_pages}
        confirmError={confirmError}
      />,
      confirmError ? 422 : 200,
    )
  }

  app.get('/organizer/webhooks/:id', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    return showWebhook(req, reply, user, (req.params as { id: number }).id)
  })

  app.post('/organizer/webhooks/:id/active', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const active = (req.body as { active?: string } | undefined)?.active === 'true'
    await updateWebhook(ctx, user, id, { active })
    flash(
      reply,
      'success',
      active ? 'Webhook reactivated.' : 'Webhook deactivated: nothing more is sent to it.',
    )
    return seeOther(reply, `/organizer/webhooks/${id}`)
  })

  app.post('/organizer/webhooks/:id/delete', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    // Another member's webhook is a 404 either way: the page shown again reads it, as the deletion does.
    if (!confirmed(req)) return showWebhook(req, reply, user, id, 'Tick the box to confirm the deletion.')
    await deleteWebhook(ctx, user, id)
    flash(reply, 'success', 'Webhook deleted.')
    return seeOther(reply, '/organizer/webhooks')
  })

  app.post(
    '/organizer/webhooks/:id/deliveries/:delivery_id/redeliver',
    { schema: { hide: true, params: deliveryParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, delivery_id } = req.params as { id: number; delivery_id: number }
      await redeliver(ctx, user, id, delivery_id)
      flash(reply, 'success', 'Sent again: the delivery is pending until the receiver answers.')
      return seeOther(reply, `/organizer/webhooks/${id}`)
    },
  )
}
