// The admin's user list: search, change a role, delete an account. Admins only (read from the database on
// every request, so a demoted admin loses this page at once).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { forbidden } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { UserOwnT } from '../../modules/users/users.schemas.js'
import { deleteUser, listUsersWithRoles, setRole } from '../../modules/users/users.service.js'
import { CsrfField, Layout, Pager } from '../layout.js'
import { flash, type PageCtx, pageCtx, requestedPage, requireUser, seeOther, sendHtml } from '../page.js'
import type { WebUser } from '../session.js'

function AdminUsersPage(p: { ctx: PageCtx; q: string; users: UserOwnT[]; page: number; totalPages: number }) {
  const href = (n: number) =>
    `/admin/users?${new URLSearchParams({ ...(p.q ? { q: p.q } : {}), page: String(n) })}`
  return (
    <Layout ctx={p.ctx} title="Users">
      <h1>Users</h1>
      <search>
        <form method="get" action="/admin/users">
          <label for="f-q">
            Find users by name or e-mail
            <input id="f-q" type="search" name="q" value={p.q} maxlength={100} />
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
                <td>
                  <form method="post" action={`/admin/users/${u.id}/role`} class="inline">
                    <CsrfField token={p.ctx.csrf} />
                    <input type="hidden" name="role" value={u.role === 'admin' ? 'user' : 'admin'} />
                    <button type="submit" class="secondary outline" safe>
                      {u.role === 'admin' ? `Demote ${u.username}` : `Make ${u.username} admin`}
                    </button>
                  </form>{' '}
                  <form method="post" action={`/admin/users/${u.id}/delete`} class="inline">
                    <CsrfField token={p.ctx.csrf} />
                    <button type="submit" class="contrast outline" safe>
                      {`Delete ${u.username}`}
                    </button>
                  </form>
                </td>
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

  app.get('/admin/users', { schema: { hide: true } }, async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply
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
      />,
    )
  })

  app.post('/admin/users/:id/role', { schema: { hide: true, params: IdParams } }, async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply
    const role = (req.body as Record<string, string>).role === 'admin' ? 'admin' : 'user'
    const user = await setRole(ctx, (req.params as { id: number }).id, role)
    flash(reply, 'success', `${user.username} is now ${role === 'admin' ? 'an admin' : 'a member'}.`)
    return seeOther(reply, '/admin/users')
  })

  app.post('/admin/users/:id/delete', { schema: { hide: true, params: IdParams } }, async (req, reply) => {
    if (!requireAdmin(req, reply)) return reply
    await deleteUser(ctx, (req.params as { id: number }).id)
    flash(reply, 'success', 'The account is deleted.')
    return seeOther(reply, '/admin/users')
  })
}
