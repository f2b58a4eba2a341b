import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { makePost } from '../factories/social.js'
import { type App, buildTestApp, PASSWORD, registerUser, type TestUser } from '../helpers.js'

let app: App
let alice: TestUser
beforeAll(async () => {
  app = await buildTestApp({ BODY_LIMIT: '4096' })
  alice = await registerUser(app)
})
afterAll(() => app.close())

describe('request handling', () => {
  it('a body that is not JSON answers 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': type },
        payload: 'email=a&password=b',
      })
      expect(res.statusCode).toBe(415)
      expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE')
    }
  })

  it('malformed JSON answers 400 MALFORMED_JSON', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": "a@example.com", ',
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().code).toBe('MALFORMED_JSON')
  })

  it('a JSON body with a __proto__ or constructor key is valid JSON: the key is dropped and reaches no prototype', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { ...alice.auth, 'content-type': 'application/json' },
      payload: '{"body":"proto","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({ body: 'proto' })
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
    // Nor does it give a role: a registration's __proto__ is dropped with the rest of what it does not take.
    const stamp = Date.now()
    const registered = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        email: `proto${stamp}@example.com`,
        username: `proto_${stamp}`,
        password: PASSWORD,
      }).replace(/}$/, ',"__proto__":{"role":"admin"}}'),
    })
    expect(registered.statusCode).toBe(201)
    const me = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${registered.json().access_token}` },
    })
    expect(me.json().role).toBe('user')
  })

  it('a JSON body that is not an object answers 400 VALIDATION_FAILED', async () => {
    for (const payload of ['[]', '"text"', '42', 'null']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload,
      })
      expect(res.statusCode).toBe(400)
      expect(['VALIDATION_FAILED', 'MALFORMED_JSON']).toContain(res.json().code)
    }
  })

  it('an empty JSON body is no body: a route without one runs, a route that needs one names it', async () => {
    const post = await makePost(app, alice, { body: 'to delete' })
    const deleted = await app.inject({
      method: 'DELETE',
      url: `/api/v1/posts/${post.id}`,
      headers: { ...alice.auth, 'content-type': 'application/json' },
      payload: '',
    })
    expect(deleted.statusCode).toBe(204)
    const login = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '',
    })
    expect(login.statusCode).toBe(400)
    expect(login.json().code).toBe('VALIDATION_FAILED')
  })

  it('a JSON body that is not UTF-8 answers 400 MALFORMED_JSON; nothing is stored', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { ...alice.auth, 'content-type': 'application/json' },
      payload: Buffer.concat([Buffer.from('{"body":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'MALFORMED_JSON', detail: 'The body is not valid UTF-8 text' })
    const mine = await app.inject({ url: `/api/v1/posts?author_id=${alice.id}`, headers: alice.auth })
    expect(mine.json().data.map((p: { body: string }) => p.body)).not.toContain('\ufffd\ufffd')
  })

  it('a compressed body answers 415 UNSUPPORTED_MEDIA_TYPE, not read as plain text', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { ...alice.auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      payload: '{"body":"x"}',
    })
    expect(res.statusCode).toBe(415)
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE')
    expect(res.json().detail).toContain('Content-Encoding gzip')
  })

  it('a request line over the HTTP parser limit answers a 431 problem, as over a real socket', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = new URL(address)
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => {
        socket.write(`GET /api/v1/events?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`)
      })
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk.toString()
      })
      socket.on('close', () => resolve(text))
      socket.on('error', reject)
    })
    const [head, body] = answer.split('\r\n\r\n')
    expect(head).toMatch(/^HTTP\/1\.1 431 /)
    expect(head).toContain('Content-Type: application/problem+json')
    expect(JSON.parse(body!)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' })
  })

  it('a body beyond the limit answers 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'a@example.com', password: 'x'.repeat(5000) },
    })
    expect(res.statusCode).toBe(413)
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE')
  })

  it('an unknown route answers a 404 problem', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope' })
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', title: 'Not Found' })
  })

  it('an unsupported method on a known path answers 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const res = await app.inject({ method: 'PUT', url: '/api/v1/auth/login', payload: {} })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('POST')
    expect(res.json().code).toBe('METHOD_NOT_ALLOWED')
    const param = await app.inject({ method: 'POST', url: `/api/v1/users/${alice.id}`, payload: {} })
    expect(param.statusCode).toBe(405)
    expect(param.headers.allow).toBe('GET')
  })

  it('every response carries a request id, echoing a well-formed incoming one', async () => {
    const own = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123' },
    })
    expect(own.headers['x-request-id']).toBe('abc-123')
    const hostile = await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'a b\u0000<script>' },
    })
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    const problem = await app.inject({
      method: 'GET',
      url: '/api/v1/nope',
      headers: { 'x-request-id': 'req-42' },
    })
    expect(problem.json().request_id).toBe('req-42')
  })

  it('sends security headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/live' })
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN')
  })

  it.each([
    ['a huge page number', '/api/v1/users?page=99999999999999999999'],
    ['a negative per_page', '/api/v1/users?per_page=-5'],
    ['an array for q', '/api/v1/users?q=a&q=b'],
    ['a very long q', `/api/v1/users?q=${'x'.repeat(500)}`],
    ['unicode in the path', '/api/v1/users/%F0%9F%98%80'],
    ['a broken percent-encoding', '/api/v1/users/%E0%A4%A'],
  ])('hostile input (%s) gets a 4xx, never a 500', async (_, url) => {
    const res = await app.inject({ method: 'GET', url, headers: alice.auth })
    expect(res.statusCode).toBeGreaterThanOrEqual(400)
    expect(res.statusCode).toBeLessThan(500)
  })
})

describe('sorting', () => {
  it('every list refuses a sort it does not document with 400, naming the choices where it has some', async () => {
    const event = await makeEvent(app, alice, { sections: [{ kind: 'seated', rows: 2, seats_per_row: 3 }] })
    const post = await makePost(app, alice)
    const ids: Record<string, number> = {
      id: event.id,
      event_id: event.id,
      user_id: alice.id,
      post_id: post.id,
    }
    const lists: string[] = []
    const accepted: string[] = []
    for (const r of app.routeInventory) {
      if (r.method !== 'GET' || !r.url.startsWith('/api/v1/')) continue
      const url = r.url.replace(/:(\w+)/g, (_, name: string) => String(ids[name] ?? alice.id))
      const plain = await app.inject({ url, headers: alice.auth })
      // A list answers `data`; the seat map, paged too, its seats.
      const list = r.url.endsWith('/seats') || Array.isArray(plain.json()?.data)
      if (plain.statusCode !== 200 || !list) continue
      lists.push(r.url)
      const sorted = await app.inject({
        url: `${url}${url.includes('?') ? '&' : '?'}sort=zzz`,
        headers: alice.auth,
      })
      if (sorted.statusCode !== 400 || sorted.json().code !== 'VALIDATION_FAILED')
        accepted.push(`${r.url} ${sorted.statusCode}`)
    }
    // The sweep reaches lists with and without documented sorts, paged and by cursor.
    expect(lists).toEqual(
      expect.arrayContaining([
        '/api/v1/users',
        '/api/v1/users/me/friends',
        '/api/v1/feed',
        '/api/v1/events/:id/attendees',
        '/api/v1/events/:id/seats',
      ]),
    )
    expect(accepted).toEqual([])
    const none = await app.inject({ url: '/api/v1/users/me/friends?sort=-created_at', headers: alice.auth })
    expect(none.json().errors).toEqual([{ path: 'querystring.sort', message: 'is not accepted here' }])
    const some = await app.inject({ url: '/api/v1/users?sort=email', headers: alice.auth })
    expect(some.json().errors).toEqual([
      { path: 'querystring.sort', message: 'must be one of: username, -username, created_at, -created_at' },
    ])
  })
})

describe('conditional requests', () => {
  const me = (headers: Record<string, string>) =>
    app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { ...alice.auth, ...headers } })

  it('a GET answers 304 to its current tag, alone, in a list, weak, or *; 200 to any other tag', async () => {
    const etag = String((await me({})).headers.etag)
    expect(etag).toMatch(/^"/)
    for (const ifNoneMatch of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
      const res = await me({ 'if-none-match': ifNoneMatch })
      expect(res.statusCode, ifNoneMatch).toBe(304)
      expect(res.body).toBe('')
      expect(res.headers.etag).toBe(etag)
    }
    for (const ifNoneMatch of ['"other"', 'W/"other", "else"', '']) {
      expect((await me({ 'if-none-match': ifNoneMatch })).statusCode, ifNoneMatch).toBe(200)
    }
    const head = await app.inject({
      method: 'HEAD',
      url: '/api/v1/users/me',
      headers: { ...alice.auth, 'if-none-match': etag },
    })
    expect(head.statusCode).toBe(304)
  })

  it('a write whose answer carries the tag sent in If-None-Match is still done and answered in full', async () => {
    const patch = (headers: Record<string, string>) =>
      app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: { ...alice.auth, ...headers },
        payload: { bio: 'Tagged' },
      })
    const first = await patch({})
    expect(first.statusCode).toBe(200)
    const again = await patch({ 'if-none-match': String(first.headers.etag) })
    expect(again.statusCode).toBe(200)
    expect(again.json()).toMatchObject({ id: alice.id, bio: 'Tagged' })
  })

  it('an error answer carries no tag and is never a 304', async () => {
    const missing = (headers: Record<string, string>) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/events/999999999',
        headers: { 'x-request-id': 'same-request', ...headers },
      })
    const first = await missing({})
    expect(first.statusCode).toBe(404)
    // A tag names a representation of the resource, and an error is none.
    expect(first.headers.etag).toBeUndefined()
    const unauthorized = await app.inject({ method: 'GET', url: '/api/v1/users/me' })
    expect(unauthorized.statusCode).toBe(401)
    expect(unauthorized.headers.etag).toBeUndefined()
    // `*` matches any tag: still the error, in full.
    const again = await missing({ 'if-none-match': '*' })
    expect(again.statusCode).toBe(404)
    expect(again.json().code).toBe('NOT_FOUND')
    // A success keeps its tag.
    expect((await app.inject({ method: 'GET', url: '/api/v1/events' })).headers.etag).toMatch(/^"/)
  })
})

describe('health', () => {
  it('/health/live and /health/ready answer 200 while the database answers', async () => {
    expect((await app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' })
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    const checks = process.env.TEST_REDIS_URL ? { database: 'ok', redis: 'ok' } : { database: 'ok' }
    expect(ready.json()).toEqual({ status: 'ok', checks })
  })
})

describe('internal errors', () => {
  it('when the database is gone, answers a generic 500 problem with no internals, and ready turns 503', async () => {
    const broken = await buildTestApp()
    const u = await registerUser(broken)
    if (broken.database.pool) await broken.database.pool.end()
    else await broken.database.pglite!.close()
    const res = await broken.inject({ method: 'GET', url: '/api/v1/users/me', headers: u.auth })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toEqual({
      type: 'urn:stagedoor:problem:internal-error',
      title: 'Internal Server Error',
      status: 500,
      detail: 'An unexpected error occurred',
      code: 'INTERNAL_ERROR',
      request_id: expect.any(String),
    })
    expect(res.body).not.toMatch(/at |stack|select|pglite|pool/i)
    expect((await broken.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(503)
    await broken.close().catch(() => {})
  })
})

describe('GET /metrics', () => {
  it('exposes Prometheus text with process metrics and per-route request histograms', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.body).toContain('process_cpu_user_seconds_total')
    expect(res.body).toMatch(
      /http_request_duration_seconds_bucket\{.*route="\/api\/v1\/auth\/register",status_code="201"/,
    )
  })
})
