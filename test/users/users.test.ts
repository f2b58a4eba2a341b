import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, login, PASSWORD, registerUser, type TestUser } from '../helpers.js'

let app: App
let alice: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  alice = await registerUser(app, { username: 'alice_w', display_name: 'Alice Wonder' })
})
afterAll(() => app.close())

const refreshed = async (u: TestUser) => {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/refresh',
    payload: { refresh_token: u.refreshToken },
  })
  return { authorization: `Bearer ${res.json().access_token}` }
}

describe('GET /users/me', () => {
  it('returns the own profile with the private fields', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: alice.auth })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      id: alice.id,
      username: 'alice_w',
      display_name: 'Alice Wonder',
      bio: '',
      avatar_url: null,
      created_at: expect.any(String),
      email: 'alice_w@example.com',
      email_verified: false,
      role: 'user',
    })
    expect(res.headers.etag).toBeDefined()
    const again = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { ...alice.auth, 'if-none-match': res.headers.etag as string },
    })
    expect(again.statusCode).toBe(304)
  })
})

describe('PATCH /users/me', () => {
  it('updates display name, bio and username; ignores role and id', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: {
        display_name: 'New Name',
        bio: 'Hello',
        username: `${u.username}_x`.slice(0, 30),
        role: 'admin',
        id: 1,
      },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: u.id, display_name: 'New Name', bio: 'Hello', role: 'user' })
  })

  it('refuses a display name of only spaces, as every other name and title, and keeps the old one', async () => {
    const u = await registerUser(app, { display_name: 'Kept Name' })
    for (const display_name of ['  ', '\n', ' \t ']) {
      const res = await app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: u.auth,
        payload: { display_name },
      })
      expect(res.statusCode, JSON.stringify(display_name)).toBe(400)
      expect(res.json().code).toBe('VALIDATION_FAILED')
    }
    const me = await app.inject({ url: '/api/v1/users/me', headers: u.auth })
    expect(me.json().display_name).toBe('Kept Name')
  })

  it('changing the email with a fresh token marks it unverified', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: { email: `new.${u.email}` },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ email: `new.${u.email}`, email_verified: false })
  })

  it('changing the email with a refreshed (not fresh) token answers 401 FRESH_TOKEN_REQUIRED', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: await refreshed(u),
      payload: { email: `other.${u.email}` },
    })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('FRESH_TOKEN_REQUIRED')
  })

  it('taking a username that exists in another case answers 409 USERNAME_TAKEN', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: { username: 'ALICE_W' },
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('USERNAME_TAKEN')
  })

  it('an invalid field answers 400 VALIDATION_FAILED', async () => {
    const res = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: alice.auth,
      payload: { bio: 'x'.repeat(1001) },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].path).toBe('body.bio')
  })
})

describe('PUT /users/me/password', () => {
  it('changes the password; other sessions end, this one keeps working', async () => {
    const u = await registerUser(app)
    const other = await login(app, u)
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: u.auth,
      payload: { current_password: PASSWORD, new_password: 'A-brand-new-Passphrase-7' },
    })
    expect(res.statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: u.auth })).statusCode).toBe(
      200,
    )
    const otherMe = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: other.auth })
    expect(otherMe.json().code).toBe('TOKEN_REVOKED')
    await expect(login(app, u)).rejects.toThrow(/401/)
    await login(app, { email: u.email, password: 'A-brand-new-Passphrase-7' })
  })

  it('with a wrong current password answers 401 INVALID_CREDENTIALS', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: alice.auth,
      payload: { current_password: 'Not-my-password-9', new_password: 'A-brand-new-Passphrase-7' },
    })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('INVALID_CREDENTIALS')
  })

  it('with a weak new password answers 400 WEAK_PASSWORD', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: alice.auth,
      payload: { current_password: PASSWORD, new_password: 'iloveyou' },
    })
    expect(res.statusCode).toBe(400)
    // The error names the field the password came in, so a client can show it beside that field.
    expect(res.json()).toMatchObject({
      code: 'WEAK_PASSWORD',
      detail: 'new_password is one of the 10,000 most common passwords',
      errors: [{ path: 'body.new_password', message: 'is one of the 10,000 most common passwords' }],
    })
  })

  it('with a refreshed token answers 401 FRESH_TOKEN_REQUIRED', async () => {
    const u = await registerUser(app)
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: await refreshed(u),
      payload: { current_password: PASSWORD, new_password: 'A-brand-new-Passphrase-7' },
    })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('FRESH_TOKEN_REQUIRED')
  })
})

describe('DELETE /users/me', () => {
  it('deletes the account; its tokens stop working and its profile is gone', async () => {
    const u = await registerUser(app)
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: u.auth })
    expect(res.statusCode).toBe(204)
    expect((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: u.auth })).json().code).toBe(
      'TOKEN_REVOKED',
    )
    const profile = await app.inject({ method: 'GET', url: `/api/v1/users/${u.id}`, headers: alice.auth })
    expect(profile.statusCode).toBe(404)
    await expect(login(app, u)).rejects.toThrow(/401/)
  })

  it('with a refreshed token answers 401 FRESH_TOKEN_REQUIRED', async () => {
    const u = await registerUser(app)
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: await refreshed(u) })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('FRESH_TOKEN_REQUIRED')
  })
})

describe('GET /users/{id}', () => {
  it('returns the public profile only', async () => {
    const bob = await registerUser(app)
    const res = await app.inject({ method: 'GET', url: `/api/v1/users/${alice.id}`, headers: bob.auth })
    expect(res.statusCode).toBe(200)
    expect(Object.keys(res.json()).sort()).toEqual([
      'avatar_url',
      'bio',
      'created_at',
      'display_name',
      'id',
      'username',
    ])
  })

  it.each([
    ['an unknown id', '999999', 404],
    ['a non-numeric id', 'abc', 400],
    // Well formed, past the largest id the server gives: an id of nothing, as any unknown one.
    ['an id beyond 32 bits', '99999999999', 404],
    ['zero', '0', 400],
  ])('with %s answers %i', async (_, id, status) => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/users/${id}`, headers: alice.auth })
    expect(res.statusCode).toBe(status)
  })

  it('needs a token', async () => {
    expect((await app.inject({ method: 'GET', url: `/api/v1/users/${alice.id}` })).statusCode).toBe(401)
  })
})
