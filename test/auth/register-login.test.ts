import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema/index.js'
import { type App, buildTestApp, PASSWORD, registerUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const register = (payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/register', payload })

describe('POST /auth/register', () => {
  it('creates a user and returns a fresh token pair; role and id in the body are ignored', async () => {
    const res = await register({
      email: 'Tommy@Example.com',
      username: 'Tommy',
      password: PASSWORD,
      role: 'admin',
      id: 99,
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
    expect(body.access_token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(body.refresh_token).toMatch(/^[\w-]{43}$/)
    expect(body.user).toEqual({
      id: expect.any(Number),
      username: 'Tommy',
      display_name: 'Tommy',
      bio: '',
      avatar_url: null,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      email: 'Tommy@Example.com',
      email_verified: false,
      role: 'user',
    })
    expect(body.user.id).not.toBe(99)
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString())
    expect(claims).toMatchObject({ sub: String(body.user.id), role: 'user', fresh: true, type: 'access' })
  })

  it('stores the password as an argon2id hash, never in clear', async () => {
    const u = await registerUser(app)
    const [row] = await app.ctx.db.select().from(users).where(eq(users.id, u.id))
    expect(row!.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(row!.passwordHash).not.toContain(PASSWORD)
  })

  it('when the email is taken in another case, answers 409 EMAIL_TAKEN', async () => {
    await registerUser(app, { username: 'first_one', email: 'dup@example.com' })
    const res = await register({ email: 'DUP@example.com', username: 'second_one', password: PASSWORD })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toEqual({
      type: 'urn:stagedoor:problem:email-taken',
      title: 'Conflict',
      status: 409,
      detail: expect.any(String),
      code: 'EMAIL_TAKEN',
      request_id: expect.any(String),
    })
  })

  it('when the username is taken in another case, answers 409 USERNAME_TAKEN', async () => {
    await registerUser(app, { username: 'Sammy' })
    const res = await register({ email: 'other-sammy@example.com', username: 'sAMMY', password: PASSWORD })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('USERNAME_TAKEN')
  })

  it.each([
    ['a common password', 'password123'],
    ['a common password in another case', 'Qwertyuiop'],
    ['the username', 'weakling_user'],
    ['the email address', 'weakling@example.com'],
  ])('when the password is %s, answers 400 WEAK_PASSWORD', async (_, password) => {
    const res = await register({ email: 'weakling@example.com', username: 'weakling_user', password })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'WEAK_PASSWORD', errors: [{ path: 'body.password' }] })
  })

  it('accepts a 128-character password and uses all of it (no truncation)', async () => {
    const long = `${'x9'.repeat(63)}ab`
    const u = await registerUser(app, { password: long })
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: `${'x9'.repeat(63)}ac` },
    })
    expect(wrong.statusCode).toBe(401)
  })

  it.each([
    ['a missing email', { username: 'valid_name', password: PASSWORD }, 'body.email'],
    [
      'a malformed email',
      { email: 'not-an-email', username: 'valid_name', password: PASSWORD },
      'body.email',
    ],
    ['a short username', { email: 'v@example.com', username: 'ab', password: PASSWORD }, 'body.username'],
    [
      'a username with spaces',
      { email: 'v@example.com', username: 'a b c', password: PASSWORD },
      'body.username',
    ],
    [
      'a 7-character password',
      { email: 'v@example.com', username: 'valid_name', password: 'Sh0rt!x' },
      'body.password',
    ],
    [
      'a 129-character password',
      { email: 'v@example.com', username: 'valid_name', password: 'x'.repeat(129) },
      'body.password',
    ],
    [
      'a number as username',
      { email: 'v@example.com', username: 12345, password: PASSWORD },
      'body.username',
    ],
  ])('when the body has %s, answers 400 VALIDATION_FAILED naming the field', async (_, payload, path) => {
    const res = await register(payload)
    expect(res.statusCode).toBe(400)
    const body = res.json()
    expect(body.code).toBe('VALIDATION_FAILED')
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(path)
  })
})

describe('POST /auth/login', () => {
  const login = (payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })

  it('signs in with the email (any case) and with the username, returning a fresh token', async () => {
    const u = await registerUser(app, { username: 'Login_Case' })
    for (const name of [u.email.toUpperCase(), 'login_case']) {
      const res = await login({ email: name, password: PASSWORD })
      expect(res.statusCode).toBe(200)
      const body = res.json()
      expect(body.user.id).toBe(u.id)
      const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString())
      expect(claims.fresh).toBe(true)
    }
  })

  it('when the password is wrong or the user unknown, answers the same 401 INVALID_CREDENTIALS', async () => {
    const u = await registerUser(app)
    const wrong = await login({ email: u.email, password: 'Not-the-password-1' })
    const unknown = await login({ email: 'nobody@example.com', password: 'Not-the-password-1' })
    for (const res of [wrong, unknown]) {
      expect(res.statusCode).toBe(401)
      expect(res.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', detail: wrong.json().detail })
    }
  })

  it('when the body misses the password, answers 400 VALIDATION_FAILED', async () => {
    const res = await login({ email: 'someone@example.com' })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ path: 'body.password', message: expect.any(String) }])
  })
})
