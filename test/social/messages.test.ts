import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeFriends } from '../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

function send(from: TestUser, to: number, body: unknown) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${to}/messages`,
    headers: from.auth,
    payload: { body },
  })
}

async function sendOk(from: TestUser, to: TestUser, body: string) {
  const res = await send(from, to.id, body)
  if (res.statusCode !== 201) throw new Error(`send failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

const read = (who: TestUser, partner: number, query = '') =>
  app.inject({ method: 'GET', url: `/api/v1/conversations/${partner}/messages${query}`, headers: who.auth })

async function friends() {
  const [a, b] = [await registerUser(app), await registerUser(app)]
  await makeFriends(app, a, b)
  return [a, b] as const
}

describe('POST /conversations/{user_id}/messages', () => {
  it('when you are friends, then 201 with the message', async () => {
    const [a, b] = await friends()
    const res = await send(a, b.id, 'Hello there')
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      id: expect.any(Number),
      sender_id: a.id,
      recipient_id: b.id,
      body: 'Hello there',
      created_at: iso,
      read_at: null,
    })
  })

  it('when you are not friends (or only a request is pending), then 403 NOT_FRIENDS', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      headers: a.auth,
      payload: { user_id: b.id },
    })
    const res = await send(a, b.id, 'hi')
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'NOT_FRIENDS', status: 403 })
    expect((await send(a, a.id, 'me')).json()).toMatchObject({ code: 'NOT_FRIENDS' })
  })

  it('when the user does not exist, then 404', async () => {
    const a = await registerUser(app)
    const res = await send(a, 2_000_000_000, 'hi')
    expect(res.statusCode).toBe(404)
  })

  it('when the body is empty, too long or not a string, then 400; 5000 characters are fine', async () => {
    const [a, b] = await friends()
    for (const body of ['', 'x'.repeat(5001), 42, null]) {
      const res = await send(a, b.id, body)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' })
    }
    expect((await send(a, b.id, 'é'.repeat(5000))).statusCode).toBe(201)
  })
})

describe('GET /conversations/{user_id}/messages', () => {
  it('when there are more than a page, then newest first with a cursor to the older ones', async () => {
    const [a, b] = await friends()
    const sent = []
    for (let i = 0; i < 5; i++) sent.push(await sendOk(i % 2 ? b : a, i % 2 ? a : b, `m${i}`))
    const first = await read(a, b.id, '?limit=3')
    expect(first.statusCode).toBe(200)
    expect(first.json().data.map((m: { body: string }) => m.body)).toEqual(['m4', 'm3', 'm2'])
    expect(first.json().data[0]).toEqual(sent[4])
    const cursor = first.json().next_cursor
    expect(cursor).toEqual(expect.any(String))
    const second = await read(a, b.id, `?limit=3&cursor=${cursor}`)
    expect(second.json()).toEqual({ data: [sent[1], sent[0]], next_cursor: null })
    // The other participant reads the same conversation.
    expect((await read(b, a.id, '?limit=5')).json().data).toHaveLength(5)
  })

  it('when a third user asks for the conversation, then they never see its messages', async () => {
    const [a, b] = await friends()
    await sendOk(a, b, 'private to b')
    await sendOk(b, a, 'private to a')
    const c = await registerUser(app)
    await makeFriends(app, c, a)
    for (const partner of [a.id, b.id]) {
      const res = await read(c, partner)
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ data: [], next_cursor: null })
    }
    const convos = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: c.auth })
    expect(convos.json()).toEqual({ data: [], next_cursor: null })
  })

  it('when the cursor is not one we issued, then 400', async () => {
    const [a, b] = await friends()
    for (const cursor of ['garbage', Buffer.from('["x"]').toString('base64url')]) {
      const res = await read(a, b.id, `?cursor=${cursor}`)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' })
    }
  })

  it('when the user does not exist, then 404', async () => {
    const a = await registerUser(app)
    expect((await read(a, 2_000_000_000)).statusCode).toBe(404)
  })

  it('when you unfriend, then the history stays readable but no new message can be sent', async () => {
    const [a, b] = await friends()
    await sendOk(a, b, 'before')
    await app.inject({ method: 'DELETE', url: `/api/v1/users/me/friends/${b.id}`, headers: a.auth })
    expect((await read(b, a.id)).json().data).toHaveLength(1)
    expect((await send(b, a.id, 'after')).statusCode).toBe(403)
  })
})

describe('GET /conversations', () => {
  it('when you talk to several people, then one row per partner with the last message and unread count', async () => {
    const me = await registerUser(app)
    const [x, y] = [await registerUser(app), await registerUser(app)]
    await makeFriends(app, me, x)
    await makeFriends(app, me, y)
    await sendOk(x, me, 'x1')
    await sendOk(x, me, 'x2')
    const yLast = await sendOk(y, me, 'y1')
    const xLast = await sendOk(me, x, 'reply to x')
    await sendOk(x, me, 'x3')
    const res = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: me.auth })
    expect(res.statusCode).toBe(200)
    const [first, second] = res.json().data
    expect(first).toMatchObject({
      user: { id: x.id, username: x.username },
      last_message: { body: 'x3', sender_id: x.id },
      unread_count: 3,
    })
    expect(xLast.body).toBe('reply to x')
    expect(second).toEqual({
      user: {
        id: y.id,
        username: y.username,
        display_name: y.username,
        bio: '',
        avatar_url: null,
        created_at: iso,
      },
      last_message: yLast,
      unread_count: 1,
    })
    expect(res.json().next_cursor).toBeNull()
    // The partner's view counts what they have not read: the one reply.
    const xView = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: x.auth })
    expect(xView.json().data).toEqual([
      expect.objectContaining({ user: expect.objectContaining({ id: me.id }), unread_count: 1 }),
    ])
  })

  it('when there are more conversations than the limit, then the cursor pages through them', async () => {
    const me = await registerUser(app)
    const partners = [await registerUser(app), await registerUser(app), await registerUser(app)]
    for (const p of partners) {
      await makeFriends(app, me, p)
      await sendOk(p, me, `from ${p.username}`)
    }
    const first = await app.inject({ method: 'GET', url: '/api/v1/conversations?limit=2', headers: me.auth })
    expect(first.json().data.map((c: { user: { id: number } }) => c.user.id)).toEqual([
      partners[2]!.id,
      partners[1]!.id,
    ])
    const second = await app.inject({
      method: 'GET',
      url: `/api/v1/conversations?limit=2&cursor=${first.json().next_cursor}`,
      headers: me.auth,
    })
    expect(second.json().data.map((c: { user: { id: number } }) => c.user.id)).toEqual([partners[0]!.id])
    expect(second.json().next_cursor).toBeNull()
  })

  it('when the limit is out of range, then 400', async () => {
    const me = await registerUser(app)
    const res = await app.inject({ method: 'GET', url: '/api/v1/conversations?limit=101', headers: me.auth })
    expect(res.statusCode).toBe(400)
  })
})

describe('POST /conversations/{user_id}/read', () => {
  it('when you mark a conversation read, then 204, the unread count drops to 0 and read_at is set', async () => {
    const [a, b] = await friends()
    await sendOk(a, b, 'one')
    await sendOk(a, b, 'two')
    const mine = await sendOk(b, a, 'mine stays unread for a')
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${a.id}/read`,
      headers: b.auth,
    })
    expect(res.statusCode).toBe(204)
    const convos = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: b.auth })
    expect(convos.json().data[0]).toMatchObject({ unread_count: 0, last_message: mine })
    const msgs = (await read(b, a.id)).json().data
    expect(msgs.map((m: { read_at: string | null }) => m.read_at)).toEqual([null, iso, iso])
    const aView = await app.inject({ method: 'GET', url: '/api/v1/conversations', headers: a.auth })
    expect(aView.json().data[0].unread_count).toBe(1)
  })

  it('when the user does not exist, then 404', async () => {
    const a = await registerUser(app)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/conversations/2000000000/read',
      headers: a.auth,
    })
    expect(res.statusCode).toBe(404)
  })
})
