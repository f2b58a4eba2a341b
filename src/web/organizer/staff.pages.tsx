// The organizer's door staff for one event: who may check tickets in (and nothing more), adding someone by
// username and removing them. Organizer and admins only; anyone else gets 404.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { StaffMemberT } from '../../modules/box-office/checkin.schemas.js'
import { addStaff, listStaff, removeStaff } from '../../modules/box-office/staff.service.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getUserByUsername } from '../../modules/users/users.service.js'
import { attr, when } from '../format.js'
import { CsrfField, Field, FormError, Layout } from '../layout.js'
import {
  FORM_INVALID,
  flash,
  type PageCtx,
  pageCtx,
  requestedPage,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import { managedEvent } from './events.pages.js'

const PER_PAGE = 100

function StaffPage(p: {
  ctx: PageCtx
  event: EventT
  staff: StaffMemberT[]
  username?: string
  error?: string
}) {
  const e = p.event
  return (
    <Layout ctx={p.ctx} title={`Staff of ${e.title}`}>
      <h1 safe>{`Staff of ${e.title}`}</h1>
      <p>
        <a href={`/organizer/events/${e.id}`}>Edit the event</a> · <a href={`/check-in/${e.id}`}>Check-in</a>
      </p>
      <p>Staff may check tickets in at the door and see the check-in list, nothing more.</p>
      {p.staff.length === 0 ? (
        <p>No staff yet.</p>
      ) : (
        <ul>
          {p.staff.map((m) => (
            <li>
              <form
                method="post"
                action={`/organizer/events/${e.id}/staff/${m.user.id}/remove`}
                class="compact"
              >
                <CsrfField token={p.ctx.csrf} />
                <span safe>{`${m.user.display_name} (@${m.user.username})`}</span>{' '}
                <span class="meta" safe>{`added ${when(m.added_at)}`}</span>{' '}
                <button
                  type="submit"
                  class="secondary"
                  aria-label={attr(`Remove ${m.user.display_name} from the staff`)}
                >
                  Remove
                </button>
              </form>
            </li>
          ))}
        </ul>
      )}
      <h2>Add staff</h2>
      <form method="post" action={`/organizer/events/${e.id}/staff`}>
        <CsrfField token={p.ctx.csrf} />
        <FormError message={undefined} />
        <Field
          name="username"
          label="Username"
          value={p.username}
          error={p.error}
          required
          autocomplete="off"
          maxlength={30}
        />
        <button type="submit">Add to the staff</button>
      </form>
    </Layout>
  )
}

export async function staffPages(app: FastifyInstance) {
  const { ctx } = app
  const params = Type.Object({ id: Id })
  const memberParams = Type.Object({ id: Id, user_id: Id })

  async function show(
    req: Parameters<typeof pageCtx>[0],
    reply: Parameters<typeof pageCtx>[1],
    form: { username?: string; error?: string } = {},
  ) {
    const user = req.webUser!
    const id = (req.params as { id: number }).id
    const event = await managedEvent(app, user, id)
    const staff = await listStaff(ctx, user, id, requestedPage(req, PER_PAGE))
    return sendHtml(
      req,
      reply,
      <StaffPage ctx={pageCtx(req, reply)} event={event} staff={staff.data} {...form} />,
      form.error ? FORM_INVALID : 200,
    )
  }

  app.get('/organizer/events/:id/staff', { schema: { hide: true, params } }, async (req, reply) => {
    if (!requireUser(req, reply)) return reply
    return show(req, reply)
  })

  app.post('/organizer/events/:id/staff', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const id = (req.params as { id: number }).id
    await managedEvent(app, user, id)
    const username = String((req.body as { username?: unknown } | undefined)?.username ?? '')
      .trim()
      .replace(/^@/, '')
      .slice(0, 30)
    try {
      const member = await getUserByUsername(ctx, username)
      await addStaff(ctx, user, id, member.id)
      flash(
        reply,
        'success',
        `${member.display_name} is now staff of this event. We e-mailed them a link to the door.`,
      )
      return seeOther(reply, `/organizer/events/${id}/staff`)
    } catch (err) {
      if (!(err instanceof AppError) || err.status >= 500) throw err
      const error = err.code === 'NOT_FOUND' ? 'No one has this username.' : err.message
      return show(req, reply, { username, error })
    }
  })

  app.post(
    '/organizer/events/:id/staff/:user_id/remove',
    { schema: { hide: true, params: memberParams } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id, user_id } = req.params as { id: number; user_id: number }
      await managedEvent(app, user, id)
      await removeStaff(ctx, user, id, user_id)
      flash(reply, 'success', 'Removed from the staff.')
      return seeOther(reply, `/organizer/events/${id}/staff`)
    },
  )
}
