import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
let admin: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  admin = await registerAdmin(app)
})
afterAll(() => app.close())

const setRole = (who: TestUser, id: number | string, role: unknown) =>
  app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, headers: who.auth, payload: { role } })

describe('PATCH /admin/users/{id}', () => {
  it('an admin promotes a user, who can use admin routes at once with the token they already have', async () => {
    const u = await registerUser(app)
    const res = await setRole(admin, u.id, 'admin')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: u.id, role: 'admin' })
    const victim = await registerUser(app)
    expect((await setRole(u, victim.id, 'user')).statusCode).toBe(200)
  })

  it('a demoted admin loses admin rights at once, even with a token issued while admin', async () => {
    const other = await registerAdmin(app)
    const target = await registerUser(app)
    expect((await setRole(other, target.id, 'user')).statusCode).toBe(200)
    expect((await setRole(admin, other.id, 'user')).statusCode).toBe(200)
    const res = await setRole(other, target.id, 'admin')
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('FORBIDDEN')
  })

  it('a non-admin answers 403 FORBIDDEN', async () => {
    const u = await registerUser(app)
    const res = await setRole(u, u.id, 'admin')
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('FORBIDDEN')
  })

  it('an unknown user answers 404; an unknown role answers 400', async () => {
    expect((await setRole(admin, 999_999, 'admin')).statusCode).toBe(404)
    const bad = await setRole(admin, admin.id, 'root')
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors[0].path).toBe('body.role')
  })

  it('without a token answers 401', async () => {
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/admin/users/${admin.id}`,
      payload: { role: 'user' },
    })
    expect(res.statusCode).toBe(401)
  })
})

describe('DELETE /admin/users/{id}', () => {
  it('an admin deletes a user, whose tokens stop working at once', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${u.id}`,
      headers: admin.auth,
    })
    expect(res.statusCode).toBe(204)
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: u.auth })
    expect(me.json().code).toBe('TOKEN_REVOKED')
    const again = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${u.id}`,
      headers: admin.auth,
    })
    expect(again.statusCode).toBe(404)
  })

  it('a non-admin answers 403 FORBIDDEN', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${admin.id}`,
      headers: u.auth,
    })
    expect(res.statusCode).toBe(403)
  })
})
