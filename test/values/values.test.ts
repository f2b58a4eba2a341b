// Values that no well-formed request may turn into a 5xx: control characters, lone surrogates, dates that do not
// exist, forged cursors, non-decimal ids, huge invalid bodies. Each is refused by the shared layer with a 400.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventBody } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

let app: App
let u: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  u = await registerUser(app)
})
afterAll(() => app.close())

const get = (url: string, auth = true) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: auth ? u.auth : {} })

describe('text values', () => {
  it.each([
    ['login', '/auth/login', { email: 'a\u0000b', password: 'x' }],
    [
      'register',
      '/auth/register',
      { email: 'x@example.com', username: 'nul\u0000user', password: 'a long passphrase 1' },
    ],
    [
      'register display name',
      '/auth/register',
      {
        email: 'n1@example.com',
        username: 'nul_dn',
        password: 'a long passphrase 1',
        display_name: 'a\u0000',
      },
    ],
    ['a post body', '/posts', { body: 'hello\u0000world' }],
    ['a post body with a lone surrogate', '/posts', { body: 'hello \ud800 world' }],
    ['an event title', '/events', eventBody({ title: 'gala\u0000' })],
    ['an event title with a bell', '/events', eventBody({ title: 'gala\u0007' })],
  ])('NUL or a lone surrogate in %s answers 400 VALIDATION_FAILED', async (_name, url, payload) => {
    const res = await app.inject({ method: 'POST', url: `/api/v1${url}`, headers: u.auth, payload })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('VALIDATION_FAILED')
  })

  it('NUL in a query string (q, venue) answers 400', async () => {
    for (const url of [
      '/users?q=a%00b',
      '/events?venue=a%00',
      '/events?q=%00',
      '/posts?q=%00',
      '/search?q=a%00',
    ]) {
      const res = await get(url)
      expect(res.statusCode, url).toBe(400)
    }
  })

  it('NUL in a bio answers 400; tabs and newlines in a multi-line text are kept', async () => {
    const bad = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: { bio: 'x\u0000' },
    })
    expect(bad.statusCode).toBe(400)
    const ok = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: u.auth,
      payload: { bio: 'a\tb\r\nc ‏rtl' },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json().bio).toBe('a\tb\r\nc ‏rtl')
  })
})

describe('text that shows nothing', () => {
  const send = (method: 'POST' | 'PATCH', url: string, payload: object) =>
    app.inject({ method, url: `/api/v1${url}`, headers: u.auth, payload })

  it.each([
    ['a zero-width space', '\u200b'],
    ['a word joiner and a zero-width space', '\u2060\u200b'],
    ['the Hangul filler', '\u3164'],
    ['a byte-order mark and a soft hyphen', '\ufeff\u00ad'],
    ['direction marks', '\u200e\u200f'],
    ['spaces and a Braille blank', ' \u2800 '],
  ])(
    '%s is blank: a post, a comment, a message and a display name of it answer 400',
    async (_name, blank) => {
      const friend = await registerUser(app)
      // Refused before anything else is looked at: no friendship is needed to see the 400.
      const post = (await send('POST', '/posts', { body: 'something to say' })).json()
      for (const [method, url, payload] of [
        ['POST', '/posts', { body: blank }],
        ['POST', `/posts/${post.id}/comments`, { body: blank }],
        ['POST', `/conversations/${friend.id}/messages`, { body: blank }],
        ['PATCH', '/users/me', { display_name: blank }],
        ['POST', '/events', eventBody({ title: blank })],
      ] as const) {
        const res = await send(method, url, payload)
        expect(res.statusCode, `${method} ${url}`).toBe(400)
        expect(res.json().code).toBe('VALIDATION_FAILED')
      }
      // The same characters beside a visible one are kept as they were sent.
      const kept = await send('POST', '/posts', { body: `o${blank}k` })
      expect(kept.statusCode).toBe(201)
      expect(kept.json().body).toBe(`o${blank}k`)
    },
  )

  it('C1 control characters (NEL among them) are refused like C0 ones, in one line and in long text', async () => {
    for (const [method, url, payload] of [
      ['POST', '/posts', { body: '\u0085\u0085' }],
      ['POST', '/posts', { body: 'a\u0085b' }],
      ['PATCH', '/users/me', { bio: 'x\u009b' }],
      ['PATCH', '/users/me', { display_name: 'Al\u0080' }],
    ] as const) {
      const res = await send(method, url, payload)
      expect(res.statusCode, JSON.stringify(payload)).toBe(400)
    }
  })

  it('direction overrides and isolates are refused in one-line values (names, titles), kept in long text', async () => {
    for (const control of ['\u202e', '\u202a', '\u2066', '\u2069']) {
      expect((await send('PATCH', '/users/me', { display_name: `Dave${control}` })).statusCode).toBe(400)
      expect((await send('POST', '/events', eventBody({ title: `Gala${control}` }))).statusCode).toBe(400)
    }
    // The line and paragraph separators are line breaks: not in one line.
    for (const separator of ['\u2028', '\u2029']) {
      expect((await send('PATCH', '/users/me', { display_name: `a${separator}b` })).statusCode).toBe(400)
    }
    // Said in words, not as the rule's pattern or format name.
    const blank = await send('POST', '/posts', { body: '\u200b\u200b' })
    expect(blank.json().errors).toEqual([
      {
        path: 'body.body',
        message: 'must contain a visible character (not only spaces, line breaks or invisible characters)',
      },
    ])
    const overridden = await send('PATCH', '/users/me', { display_name: 'Dave\u202e' })
    expect(overridden.json().errors).toEqual([
      {
        path: 'body.display_name',
        message: 'must be one line, without control characters or direction overrides',
      },
    ])
    // Right-to-left letters need no control character, and are names like any other.
    const rtl = await send('PATCH', '/users/me', { display_name: 'דוד' })
    expect(rtl.statusCode).toBe(200)
    expect(rtl.json().display_name).toBe('דוד')
    const post = await send('POST', '/posts', { body: '\u202eRTL text' })
    expect(post.statusCode).toBe(201)
  })
})

describe('dates', () => {
  it.each(['2026-12-31T23:59:60Z', '2027-02-30T10:00:00Z', '10000-01-01T00:00:00Z', '0000-01-01T00:00:00Z'])(
    'a date that does not exist (%s) answers 400',
    async (d) => {
      expect((await get(`/events?from=${encodeURIComponent(d)}`, false)).statusCode).toBe(400)
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/events',
        headers: u.auth,
        payload: eventBody({ starts_at: d }),
      })
      expect(res.statusCode).toBe(400)
    },
  )
})

describe('cursors', () => {
  it.each([[2 ** 31], [2 ** 53 - 1], [-(2 ** 31) - 1], [1e300]])(
    'a cursor decoding to %s answers 400',
    async (n) => {
      const cursor = Buffer.from(JSON.stringify([n])).toString('base64url')
      for (const url of ['/feed', `/conversations/${u.id}/messages`]) {
        expect((await get(`${url}?cursor=${cursor}`)).statusCode, url).toBe(400)
      }
    },
  )
})

describe('ids', () => {
  it.each(['0x10', '1e1', '%2016', '16.0', '+16', '0b1', '016', '00'])(
    '/events/%s answers 400',
    async (id) => {
      const res = await get(`/events/${id}`, false)
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('VALIDATION_FAILED')
    },
  )

  it('a non-decimal id in a query answers 400', async () => {
    expect((await get('/events?organizer_id=0x10', false)).statusCode).toBe(400)
    const padded = await get('/events?organizer_id=016', false)
    expect(padded.statusCode).toBe(400)
    expect(padded.json().errors).toEqual([
      { path: 'querystring.organizer_id', message: 'must be a decimal integer, without leading zeros' },
    ])
    expect((await get('/events?organizer_id=16', false)).statusCode).toBe(200)
  })
})

describe('validation errors', () => {
  it('a body of 50,000 bad items lists at most 20 fields in a small problem', async () => {
    const sections = Array.from({ length: 50_000 }, () => ({ name: 1 }))
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/events',
      headers: u.auth,
      payload: { ...eventBody(), sections },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors.length).toBeLessThanOrEqual(20)
    expect(res.body.length).toBeLessThan(10_000)
  })
})

describe('friend requests', () => {
  it('accepting a declined request answers 409 REQUEST_NOT_PENDING', async () => {
    const b = await registerUser(app)
    const req = await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      headers: u.auth,
      payload: { user_id: b.id },
    })
    const id = req.json().id
    await app.inject({ method: 'POST', url: `/api/v1/friend-requests/${id}/decline`, headers: b.auth })
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/friend-requests/${id}/accept`,
      headers: b.auth,
    })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('REQUEST_NOT_PENDING')
  })
})
