import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeFriends } from '../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser, usingPostgres } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
const profile = (u: TestUser) => ({
  id: u.id,
  username: u.username,
  display_name: u.username,
  bio: '',
  avatar_url: null,
  created_at: iso,
})

function sendRequest(from: TestUser, to: number) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/users/me/friend-requests',
    headers: from.auth,
    payload: { user_id: to },
  })
}

const act = (who: TestUser, id: number, action: 'accept' | 'decline') =>
  app.inject({ method: 'POST', url: `/api/v1/friend-requests/${id}/${action}`, headers: who.auth })

describe('POST /users/me/friend-requests', () => {
  it('when the user exists, then 201 with a pending request naming both users', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const res = await sendRequest(a, b.id)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      id: expect.any(Number),
      requester: profile(a),
      addressee: profile(b),
      status: 'pending',
      created_at: iso,
      responded_at: null,
    })
  })

  it('when that user already asked you, then 201 with status accepted and you are friends', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const first = await sendRequest(a, b.id)
    const crossing = await sendRequest(b, a.id)
    expect(crossing.statusCode).toBe(201)
    expect(crossing.json()).toMatchObject({
      id: first.json().id,
      requester: { id: a.id },
      addressee: { id: b.id },
      status: 'accepted',
      responded_at: iso,
    })
    const friends = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: a.auth })
    expect(friends.json().data).toEqual([profile(b)])
  })

  it('when you already sent one, then 409 REQUEST_EXISTS', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    await sendRequest(a, b.id)
    const res = await sendRequest(a, b.id)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'REQUEST_EXISTS' })
  })

  it('when you are already friends, then 409 ALREADY_FRIENDS (either direction)', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    await makeFriends(app, a, b)
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const res = await sendRequest(from, to.id)
      expect(res.statusCode).toBe(409)
      expect(res.json()).toMatchObject({ code: 'ALREADY_FRIENDS' })
    }
  })

  it('when addressed to yourself, then 400 VALIDATION_FAILED', async () => {
    const a = await registerUser(app)
    const res = await sendRequest(a, a.id)
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ path: 'body.user_id', message: expect.any(String) }],
    })
  })

  it('when the user does not exist, then 404', async () => {
    const a = await registerUser(app)
    const res = await sendRequest(a, 2_000_000_000)
    expect(res.statusCode).toBe(404)
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('when user_id is missing or not an integer, then 400', async () => {
    const a = await registerUser(app)
    for (const payload of [{}, { user_id: '5' }, { user_id: 0 }, { user_id: 2 ** 31 }]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/users/me/friend-requests',
        headers: a.auth,
        payload,
      })
      expect(res.statusCode).toBe(400)
    }
  })

  it('when the other user declined your earlier request, then you may ask again', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const first = await sendRequest(a, b.id)
    await act(b, first.json().id, 'decline')
    const again = await sendRequest(a, b.id)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toMatchObject({ status: 'pending', responded_at: null, requester: { id: a.id } })
    // A new request, with a new id: the declined one is gone, not answerable again.
    expect(again.json().id).not.toBe(first.json().id)
    expect((await act(b, first.json().id, 'accept')).statusCode).toBe(404)
    expect((await act(b, again.json().id, 'accept')).json()).toMatchObject({ status: 'accepted' })
  })

  it('when you declined their request and then ask them, then it is a new request they answer, not a friendship', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const first = await sendRequest(a, b.id)
    await act(b, first.json().id, 'decline')
    const res = await sendRequest(b, a.id)
    expect(res.statusCode).toBe(201)
    const asked = res.json()
    expect(asked).toMatchObject({
      status: 'pending',
      responded_at: null,
      requester: { id: b.id },
      addressee: { id: a.id },
    })
    expect(asked.id).not.toBe(first.json().id)
    // Not friends until a says yes: b cannot message a, and b's own request is not b's to accept.
    const message = await app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${a.id}/messages`,
      headers: b.auth,
      payload: { body: 'hello' },
    })
    expect(message.statusCode).toBe(403)
    expect((await act(b, asked.id, 'accept')).statusCode).toBe(403)
    const incoming = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friend-requests?direction=incoming',
      headers: a.auth,
    })
    expect(incoming.json().data.map((r: { id: number }) => r.id)).toEqual([asked.id])
    expect((await act(a, asked.id, 'accept')).json()).toMatchObject({ status: 'accepted' })
    // The old request id is gone with it.
    expect((await act(b, first.json().id, 'accept')).statusCode).toBe(404)
  })

  it.runIf(usingPostgres())(
    'when two users ask each other at the same moment, then one row: one pending answer and one accepted',
    async () => {
      for (let round = 0; round < 5; round++) {
        const [a, b] = [await registerUser(app), await registerUser(app)]
        const results = await Promise.all([sendRequest(a, b.id), sendRequest(b, a.id)])
        expect(results.map((r) => r.statusCode)).toEqual([201, 201])
        const bodies = results.map((r) => r.json())
        expect(bodies[0].id).toBe(bodies[1].id)
        expect(bodies.map((x) => x.status).sort()).toEqual(['accepted', 'pending'])
        const friends = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: a.auth })
        expect(friends.json().total).toBe(1)
      }
    },
  )

  it('when not signed in, then 401', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      payload: { user_id: 1 },
    })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ code: 'AUTHORIZATION_REQUIRED' })
  })
})

describe('GET /users/me/friend-requests', () => {
  it('when asked for incoming (the default) or outgoing, then lists pending requests newest first', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const ab = (await sendRequest(a, b.id)).json()
    const cb = (await sendRequest(c, b.id)).json()
    const incoming = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friend-requests',
      headers: b.auth,
    })
    expect(incoming.statusCode).toBe(200)
    expect(incoming.json()).toEqual({ data: [cb, ab], page: 1, per_page: 20, total: 2, total_pages: 1 })
    expect(incoming.headers.link).toContain('rel="first"')
    const outgoing = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friend-requests?direction=outgoing',
      headers: a.auth,
    })
    expect(outgoing.json().data).toEqual([ab])
  })

  it('when a request was declined or accepted, then it is no longer listed', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const ab = (await sendRequest(a, b.id)).json()
    const cb = (await sendRequest(c, b.id)).json()
    await act(b, ab.id, 'decline')
    await act(b, cb.id, 'accept')
    const incoming = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friend-requests',
      headers: b.auth,
    })
    expect(incoming.json()).toMatchObject({ data: [], total: 0 })
  })

  it('when the direction is unknown, then 400', async () => {
    const a = await registerUser(app)
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friend-requests?direction=sideways',
      headers: a.auth,
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' })
  })
})

describe('POST /friend-requests/{id}/accept', () => {
  it('when the addressee accepts, then 200 accepted and both see each other as friends', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    const res = await act(b, req.id, 'accept')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ...req, status: 'accepted', responded_at: iso })
    const friendsOfB = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: b.auth })
    expect(friendsOfB.json().data).toEqual([profile(a)])
  })

  it('when the requester tries to accept, then 403 FORBIDDEN', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    const res = await act(a, req.id, 'accept')
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN' })
  })

  it('when a third user tries, or the id is unknown, then 404', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    expect((await act(c, req.id, 'accept')).statusCode).toBe(404)
    expect((await act(b, 2_000_000_000, 'accept')).statusCode).toBe(404)
  })

  it('when already accepted, then accepting again is 409 REQUEST_NOT_PENDING (not pending any more)', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    await act(b, req.id, 'accept')
    const res = await act(b, req.id, 'accept')
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'REQUEST_NOT_PENDING',
      detail: 'This friend request was accepted already: you are friends',
    })
  })

  it('when the addressee declined earlier, then accepting is 409 REQUEST_NOT_PENDING', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    await act(b, req.id, 'decline')
    const res = await act(b, req.id, 'accept')
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({
      code: 'REQUEST_NOT_PENDING',
      detail: 'You declined this friend request already: send them a friend request instead',
    })
  })
})

describe('POST /friend-requests/{id}/decline', () => {
  it('when the addressee declines, then 200 declined; declining again is 409 REQUEST_NOT_PENDING', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    const res = await act(b, req.id, 'decline')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ...req, status: 'declined', responded_at: iso })
    const again = await act(b, req.id, 'decline')
    expect(again.statusCode).toBe(409)
    expect(again.json()).toMatchObject({
      code: 'REQUEST_NOT_PENDING',
      detail: 'You declined this friend request already',
    })
    // Still declined, answered when it first was.
    const incoming = await app.inject({
      url: '/api/v1/users/me/friend-requests?direction=incoming',
      headers: b.auth,
    })
    expect(incoming.json().data).toEqual([])
  })

  it('when the requester tries to decline, then 403; a third user gets 404', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    expect((await act(a, req.id, 'decline')).statusCode).toBe(403)
    expect((await act(c, req.id, 'decline')).statusCode).toBe(404)
  })

  it('when already friends, then declining is 409 REQUEST_NOT_PENDING and the friendship stays', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    await act(b, req.id, 'accept')
    const res = await act(b, req.id, 'decline')
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'REQUEST_NOT_PENDING' })
    const friends = await app.inject({ url: '/api/v1/users/me/friends', headers: b.auth })
    expect(friends.json().data.map((f: { id: number }) => f.id)).toEqual([a.id])
  })
})

describe('DELETE /friend-requests/{id}', () => {
  const cancel = (who: TestUser, id: number) =>
    app.inject({ method: 'DELETE', url: `/api/v1/friend-requests/${id}`, headers: who.auth })

  it('when the requester cancels, then 204 and the addressee no longer sees it', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    const res = await cancel(a, req.id)
    expect(res.statusCode).toBe(204)
    expect(res.body).toBe('')
    const incoming = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friend-requests',
      headers: b.auth,
    })
    expect(incoming.json().data).toEqual([])
    expect((await cancel(a, req.id)).statusCode).toBe(404)
  })

  it('when the addressee tries to cancel, then 403; a third user gets 404', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    expect((await cancel(b, req.id)).statusCode).toBe(403)
    expect((await cancel(c, req.id)).statusCode).toBe(404)
  })

  it('when the request was accepted, then 409 ALREADY_FRIENDS', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const req = (await sendRequest(a, b.id)).json()
    await act(b, req.id, 'accept')
    const res = await cancel(a, req.id)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'ALREADY_FRIENDS' })
  })
})

describe('GET /users/me/friends', () => {
  it('when you have friends, then pages their public profiles by username with Link headers', async () => {
    const me = await registerUser(app)
    const friends = [await registerUser(app), await registerUser(app), await registerUser(app)]
    for (const f of friends) await makeFriends(app, me, f)
    const pending = await registerUser(app)
    await sendRequest(me, pending.id)
    const res = await app.inject({
      method: 'GET',
      url: '/api/v1/users/me/friends?per_page=2',
      headers: me.auth,
    })
    expect(res.statusCode).toBe(200)
    const sorted = [...friends].sort((x, y) =>
      x.username.toLowerCase().localeCompare(y.username.toLowerCase()),
    )
    expect(res.json()).toEqual({
      data: sorted.slice(0, 2).map(profile),
      page: 1,
      per_page: 2,
      total: 3,
      total_pages: 2,
    })
    expect(res.headers.link).toMatch(/[?&]page=2(&[^>]*)?>; rel="next"/)
  })

  it('when you have none, then 200 with an empty list', async () => {
    const me = await registerUser(app)
    const res = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: me.auth })
    expect(res.json()).toEqual({ data: [], page: 1, per_page: 20, total: 0, total_pages: 0 })
  })
})

describe('DELETE /users/me/friends/{user_id}', () => {
  const unfriend = (who: TestUser, id: number) =>
    app.inject({ method: 'DELETE', url: `/api/v1/users/me/friends/${id}`, headers: who.auth })

  it('when you are friends, then 204 and neither lists the other; you may befriend again', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    await makeFriends(app, a, b)
    expect((await unfriend(b, a.id)).statusCode).toBe(204)
    for (const who of [a, b]) {
      const res = await app.inject({ method: 'GET', url: '/api/v1/users/me/friends', headers: who.auth })
      expect(res.json().data).toEqual([])
    }
    expect((await sendRequest(a, b.id)).statusCode).toBe(201)
  })

  it('when you are not friends (only a pending request, or nothing), then 404', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    await sendRequest(a, b.id)
    expect((await unfriend(a, b.id)).statusCode).toBe(404)
    expect((await unfriend(a, c.id)).statusCode).toBe(404)
    expect((await unfriend(a, 2_000_000_000)).statusCode).toBe(404)
  })
})
