// The admin's user list: search, change a role, delete an account. Admins only (read from the database on
// every request, so a demoted admin loses this page at once).

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { forbidden } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { UserOwnT } from '../../modules/users/users.schemas.js'
import { deleteUser, listUsersWithRoles, setRole } from '../../modules/users/users.service.js'
import { ErrorPage } from '../errors.js'
import { attr } from '../format.js'
import { ConfirmBox, CsrfField, FormError, Layout, Pager } from '../layout.js'
import {
  confirmed,
  flash,
  formErrorsOf,
  type PageCtx,
  pageCtx,
  requestedPage,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import type { WebUser } from '../session.js'

function AdminUsersPage(p: {
  ctx: PageCtx
  q: string
  users: UserOwnT[]
  page: number
  totalPages: number
  /** Why the last change was refused (the only admin kept), shown above the list. */
  error?: string
  /** The user whose deletion was sent without its box ticked: `error` is said under that box too. */
  unconfirmed?: number
}) {
  const href = (n: number) =>
    `/admin/users?${new URLSearchParams({ ...(p.q ? { q: p.q } : {}), page: String(n) })}`
  // The forms keep the search and the page, so a refusal shows the list it was sent from.
  const kept = new URLSearchParams({
    ...(p.q ? { q: p.q } : {}),
    ...(p.page > 1 ? { page: String(p.page) } : {}),
  }).toString()
  const action = (id: number, what: string) => `/admin/users/${id}/${what}${kept ? `?${kept}` : ''}`
  return (
    <Layout ctx={p.ctx} title="Users">
      <h1>Users</h1>
      <FormError message={p.error} />
      <search>
        <form method="get" action="/admin/users">
          <label for="f-q">
            Find users by name or e-mail
            <input id="f-q" type="search" name="q" value={attr(p.q)} maxlength={100} />
          </label>
          <button type="submit">Search</button>
        </form>
      </search>
      <section class="table-wrap" tabindex="0" aria-label="Users">
        <table class="stack">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">E-mail</th>
              <th scope="col">Role</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {p.users.map((u) => (
              <tr>
                <th scope="row">
                  <a href={`/users/${encodeURIComponent(u.username)}`} safe>
                    {`${u.display_name} (@${u.username})`}
                  </a>
                </th>
                <td data-label="E-mail" safe>
                  {u.email}
                </td>
                <td data-label="Role">{u.role}</td>
                {u.id === p.ctx.user?.id ? (
                  // One click here would end one's own admin pages (or account) at once, unasked.
                  <td>
                    This is you: your own account is in <a href="/settings">Settings</a>.
                  </td>
                ) : (
                  <td>
                    <form method="post" action={action(u.id, 'role')} class="inline">
                      <CsrfField token={p.ctx.csrf} />
                      <input type="hidden" name="role" value={u.role === 'admin' ? 'user' : 'admin'} />
                      <button type="submit" class="secondary outline" safe>
                        {u.role === 'admin' ? `Demote ${u.username}` : `Make ${u.username} admin`}
                      </button>
                    </form>{' '}
                    <form method="post" action={action(u.id, 'delete')} class="inline">
                      <CsrfField token={p.ctx.csrf} />
                      <ConfirmBox
                        id={`f-delete-${u.id}`}
                        label={`Yes, delete ${u.username} and their posts`}
                        error={p.unconfirmed === u.id ? p.error : undefined}
                      />
                      <button type="submit" class="contrast outline" safe>
                        {`Delete ${u.username}`}
                      </button>
                    </form>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Pager page={p.page} totalPages={p.totalPages} href={href} />
    </Layout>
  )
}

function requireAdmin(req: FastifyRequest, reply: FastifyReply): WebUser | null {
  const user = requireUser(req, reply)
  if (user && user.role !== 'admin') throw forbidden('This page is for admins')
  return user
}

const IdParams = Type.Object({ id: Id })

export async function adminPages(app: FastifyInstance) {
  const { ctx } = app

  async function renderList(
    req: FastifyRequest,
    reply: FastifyReply,
    error?: string,
    status = 200,
    unconfirmed?: number,
  ) {
    const query = req.query as { q?: unknown }
    const q = typeof query.q === 'string' ? query.q.trim().slice(0, 100) : ''
    const result = await listUsersWithRoles(ctx, { q: q || undefined }, requestedPage(req, 50))
    return sendHtml(
      req,
      reply,
      <AdminUsersPage
        ctx={pageCtx(req, reply)}
        q={q}
        users={result.data}
        page={result.page}
        totalPages={result.total_pages}
        error={error}
        unconfirmed={unconfirmed}
      />,
      status,
    )
  }

  /** A change the service refuses (the only admin demoted or deleted) shows the list again with the reason. */
  async function refused(req: FastifyRequest, reply: FastifyReply, err: unknown) {
    const errors = formErrorsOf(err)
    return renderList(
      req,
      reply,
      errors.form ?? 'That could not be done.',
      (err as { status: number }).status,
    )
  }

  app.get('/admin/users', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    // A page asked for, not a form sent: the 403 page says whose page it is, not that a form may have expired.
    if (user.role !== 'admin') {
      const body = 'This page is for administrators.'
      return sendHtml(req, reply, <ErrorPage ctx={pageCtx(req, reply)} status={403} body={body} />, 403)
    }
    return renderList(req, reply)
  })

  app.post('/admin/users/:id/role', { schema: { hide: true, params: IdParams } }, async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply
    const role = (req.body as Record<string, string>).role === 'admin' ? 'admin' : 'user'
    let user: UserOwnT
    try {
      user = await setRole(ctx, (req.params as { id: number }).id, role)
    } catch (err) {
      return refused(req, reply, err)
    }
    // An admin who demoted themselves (a form sent by hand) lands where they may still go.
    if (user.id === req.webUser?.id && role === 'user') {
      flash(reply, 'success', 'You are now a member: the admin pages are closed to you.')
      return seeOther(reply, '/')
    }
    flash(reply, 'success', `${user.username} is now ${role === 'admin' ? 'an admin' : 'a member'}.`)
    return seeOther(reply, '/admin/users')
  })

  app.post('/admin/users/:id/delete', { schema: { hide: true, params: IdParams } }, async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply
    // As the event's cancel form: nothing is deleted without the box ticked.
    const { id } = req.params as { id: number }
    if (!confirmed(req)) return renderList(req, reply, 'Tick the box to confirm the deletion.', 422, id)
    try {
      await deleteUser(ctx, id)
    } catch (err) {
      return refused(req, reply, err)
    }
    flash(reply, 'success', 'The account is deleted.')
    return seeOther(reply, '/admin/users')
  })
}
