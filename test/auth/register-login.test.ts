import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, PASSWORD, registerUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

describe('POST /auth/register', () => {
  it('creates a user and returns a fresh token pair; a role in the body is ignored', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'Tommy@Example.com', username: 'Tommy', password: PASSWORD, role: 'admin', id: 99 },
    })
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 })
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
  })

  it('when the email is taken in another case, answers 409 EMAIL_TAKEN', async () => {
    await registerUser(app, { username: 'first_one', email: 'dup@example.com' })
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'DUP@example.com', username: 'second_one', password: PASSWORD },
    })
    expect(res.statusCode).toBe(409)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 409, code: 'EMAIL_TAKEN', request_id: expect.any(String) })
  })
})
