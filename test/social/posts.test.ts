import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { likePost, makeComment, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
const author = (u: TestUser) => ({
  id: u.id,
  username: u.username,
  display_name: u.username,
  avatar_url: null,
})

const create = (who: TestUser, payload: unknown) =>
  app.inject({ method: 'POST', url: '/api/v1/posts', headers: who.auth, payload: payload as object })
const get = (who: TestUser, id: number) =>
  app.inject({ method: 'GET', url: `/api/v1/posts/${id}`, headers: who.auth })
const list = (who: TestUser, query: string) =>
  app.inject({ method: 'GET', url: `/api/v1/posts${query}`, headers: who.auth })

describe('POST /posts', () => {
  it('when the body is valid, then 201 with the whole post', async () => {
    const a = await registerUser(app)
    const res = await create(a, { body: 'First night was great' })
    expect(res.statusCode).toBe(201)
    // Location names the new post, which is there to read.
    expect(res.headers.location).toBe(`/api/v1/posts/${res.json().id}`)
    expect((await get(a, res.json().id)).json()).toEqual(res.json())
    expect(res.json()).toEqual({
      id: expect.any(Number),
      body: 'First night was great',
      author: author(a),
      event: null,
      shared_post: null,
      like_count: 0,
      comment_count: 0,
      share_count: 0,
      liked_by_me: false,
      created_at: iso,
      updated_at: iso,
    })
  })

  it('when it names a published event or your own draft, then the post carries {id, title}', async () => {
    const [a, organizer] = [await registerUser(app), await registerUser(app)]
    const published = await makeEvent(app, organizer, { title: 'Hamlet' })
    const res = await create(a, { body: 'Going!', event_id: published.id })
    expect(res.statusCode).toBe(201)
    expect(res.json().event).toEqual({ id: published.id, title: 'Hamlet' })
    const draft = await makeEvent(app, organizer, { title: 'Secret', status: 'draft' })
    expect((await create(organizer, { body: 'Soon', event_id: draft.id })).json().event).toEqual({
      id: draft.id,
      title: 'Secret',
    })
  })

  it("when the event is unknown or someone else's draft, then 404", async () => {
    const [a, organizer] = [await registerUser(app), await registerUser(app)]
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    for (const eventId of [draft.id, 2_000_000_000]) {
      const res = await create(a, { body: 'x', event_id: eventId })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' })
    }
  })

  it('when it shares a post, then shared_post is embedded and the original counts the share', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const original = await makePost(app, a, { body: 'original' })
    const res = await create(b, { body: 'look at this', shared_post_id: original.id })
    expect(res.statusCode).toBe(201)
    expect(res.json().shared_post).toEqual({
      id: original.id,
      body: 'original',
      author: author(a),
      event: null,
      like_count: 0,
      comment_count: 0,
      share_count: 1,
      created_at: original.created_at,
      updated_at: original.updated_at,
    })
    expect((await get(a, original.id)).json().share_count).toBe(1)
  })

  it('when the shared post does not exist, then 404', async () => {
    const a = await registerUser(app)
    const res = await create(a, { body: 'x', shared_post_id: 2_000_000_000 })
    expect(res.statusCode).toBe(404)
  })

  it('when the body is missing, empty, over 5000 characters or not a string, then 400', async () => {
    const a = await registerUser(app)
    for (const payload of [
      {},
      { body: '' },
      { body: 'x'.repeat(5001) },
      { body: 5 },
      { body: 'x', event_id: 'one' },
    ]) {
      const res = await create(a, payload)
      expect(res.statusCode).toBe(400)
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' })
    }
  })

  it('when the body is not JSON, then 415', async () => {
    const a = await registerUser(app)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { ...a.auth, 'content-type': 'text/plain' },
      payload: 'hello',
    })
    expect(res.statusCode).toBe(415)
  })
})

describe('GET /posts/{id}', () => {
  it('when the post exists, then 200 with liked_by_me from the caller’s point of view', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    await likePost(app, b, post.id)
    await makeComment(app, a, post.id)
    const asB = (await get(b, post.id)).json()
    expect(asB).toEqual({ ...post, like_count: 1, comment_count: 1, liked_by_me: true })
    expect((await get(a, post.id)).json().liked_by_me).toBe(false)
  })

  it('when it does not exist, then 404; a bad id is 400', async () => {
    const a = await registerUser(app)
    expect((await get(a, 2_000_000_000)).statusCode).toBe(404)
    const bad = await app.inject({ method: 'GET', url: '/api/v1/posts/abc', headers: a.auth })
    expect(bad.statusCode).toBe(400)
  })
})

describe('PATCH /posts/{id}', () => {
  const patch = (who: TestUser, id: number, payload: object) =>
    app.inject({ method: 'PATCH', url: `/api/v1/posts/${id}`, headers: who.auth, payload })

  it('when the author edits, then 200 with the new body, event and updated_at', async () => {
    const a = await registerUser(app)
    const event = await makeEvent(app, a)
    const post = await makePost(app, a, { body: 'typo' })
    const res = await patch(a, post.id, { body: 'fixed', event_id: event.id })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: post.id,
      body: 'fixed',
      event: { id: event.id, title: event.title },
      created_at: post.created_at,
    })
    expect(Date.parse(res.json().updated_at)).toBeGreaterThanOrEqual(Date.parse(post.updated_at))
    expect((await patch(a, post.id, { event_id: null })).json().event).toBeNull()
  })

  it('when another user edits, then 403 FORBIDDEN and the post is unchanged', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a, { body: 'mine' })
    const res = await patch(b, post.id, { body: 'hijacked' })
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN' })
    expect((await get(a, post.id)).json().body).toBe('mine')
  })

  it('when an admin edits, then 200 (API.md: author or admin)', async () => {
    const [a, admin] = [await registerUser(app), await registerAdmin(app)]
    const post = await makePost(app, a)
    const res = await patch(admin, post.id, { body: 'moderated' })
    expect(res.statusCode).toBe(200)
    expect(res.json().body).toBe('moderated')
  })

  it('when the post is unknown, then 404; an invisible event, 404; a bad body, 400', async () => {
    const [a, other] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    expect((await patch(a, 2_000_000_000, { body: 'x' })).statusCode).toBe(404)
    const draft = await makeEvent(app, other, { status: 'draft' })
    expect((await patch(a, post.id, { event_id: draft.id })).statusCode).toBe(404)
    expect((await patch(a, post.id, { body: '' })).statusCode).toBe(400)
  })
})

describe('DELETE /posts/{id}', () => {
  const del = (who: TestUser, id: number) =>
    app.inject({ method: 'DELETE', url: `/api/v1/posts/${id}`, headers: who.auth })

  it('when the author deletes, then 204 and its comments and likes go; shares stay with shared_post null', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const comment = await makeComment(app, b, post.id)
    await likePost(app, b, post.id)
    const share = await makePost(app, b, { shared_post_id: post.id })
    const res = await del(a, post.id)
    expect(res.statusCode).toBe(204)
    expect((await get(a, post.id)).statusCode).toBe(404)
    const commentGone = await app.inject({
      method: 'PATCH',
      url: `/api/v1/comments/${comment.id}`,
      headers: b.auth,
      payload: { body: 'x' },
    })
    expect(commentGone.statusCode).toBe(404)
    expect((await get(b, share.id)).json()).toMatchObject({ id: share.id, shared_post: null })
  })

  it('when another user deletes, then 403; an admin may', async () => {
    const [a, b, admin] = [await registerUser(app), await registerUser(app), await registerAdmin(app)]
    const post = await makePost(app, a)
    expect((await del(b, post.id)).statusCode).toBe(403)
    expect((await del(admin, post.id)).statusCode).toBe(204)
    expect((await del(a, post.id)).statusCode).toBe(404)
  })

  it('when a share is deleted, then the original share_count goes back down', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const share = await makePost(app, b, { shared_post_id: post.id })
    await del(b, share.id)
    expect((await get(a, post.id)).json().share_count).toBe(0)
  })
})

describe('GET /posts', () => {
  it('when a page is read again with its ETag, then 304 until a post on it or the total changes; each page has its own', async () => {
    const writer = await registerUser(app)
    const reader = await registerUser(app)
    await create(writer, { body: 'older' })
    const newer = (await create(writer, { body: 'newer' })).json()
    const url = (page: number) => `/api/v1/posts?author_id=${writer.id}&per_page=1&page=${page}`
    const read = (page: number, etag?: string) =>
      app.inject({
        method: 'GET',
        url: url(page),
        headers: etag ? { ...reader.auth, 'if-none-match': etag } : reader.auth,
      })
    const first = await read(1)
    const etag = String(first.headers.etag)
    expect(etag).toMatch(/^".+"$/)
    expect(first.json().data[0].body).toBe('newer')
    expect((await read(1, etag)).statusCode).toBe(304)
    expect(String((await read(2)).headers.etag)).not.toBe(etag)

    await likePost(app, reader, newer.id)
    const liked = await read(1, etag)
    expect(liked.statusCode).toBe(200)
    expect(liked.json().data[0].like_count).toBe(1)
    expect(liked.json().data[0].liked_by_me).toBe(true)

    // Only the total changes on page 1 when an older post goes (page 2 had it).
    const older = (await read(2)).json().data[0]
    const removed = await app.inject({
      method: 'DELETE',
      url: `/api/v1/posts/${older.id}`,
      headers: writer.auth,
    })
    expect(removed.statusCode).toBe(204)
    const shorter = await read(1, String(liked.headers.etag))
    expect(shorter.statusCode).toBe(200)
    expect(shorter.json().total).toBe(1)
  })

  it('when filtered by author, event and q, then only matching posts, newest first by default', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const event = await makeEvent(app, a, { title: 'Filter night' })
    const p1 = await makePost(app, a, { body: 'Tommy was brilliant', event_id: event.id })
    const p2 = await makePost(app, a, { body: 'Amy sang' })
    const p3 = await makePost(app, b, { body: 'SAMMY danced', event_id: event.id })
    const byAuthor = await list(a, `?author_id=${a.id}`)
    expect(byAuthor.statusCode).toBe(200)
    expect(byAuthor.json()).toEqual({ data: [p2, p1], page: 1, per_page: 20, total: 2, total_pages: 1 })
    expect((await list(a, `?event_id=${event.id}`)).json().data.map((p: { id: number }) => p.id)).toEqual([
      p3.id,
      p1.id,
    ])
    const q = (await list(a, `?q=MY&author_id=${a.id}`)).json().data.map((p: { id: number }) => p.id)
    expect(q).toEqual([p1.id, p2.id].sort((x, y) => y - x))
    expect((await list(b, `?q=my&event_id=${event.id}`)).json().total).toBe(2)
    expect((await list(a, '?q=%25')).json().total).toBe(0)
  })

  it('when sorted by like_count or created_at, then in that order with pages and Link headers', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const few = await makePost(app, a)
    const many = await makePost(app, a)
    const none = await makePost(app, a)
    await likePost(app, b, many.id)
    await likePost(app, c, many.id)
    await likePost(app, b, few.id)
    const byLikes = await list(a, `?author_id=${a.id}&sort=-like_count`)
    expect(byLikes.json().data.map((p: { id: number }) => p.id)).toEqual([many.id, few.id, none.id])
    const oldest = await list(a, `?author_id=${a.id}&sort=created_at&per_page=2`)
    expect(oldest.json()).toMatchObject({ page: 1, per_page: 2, total: 3, total_pages: 2 })
    expect(oldest.json().data.map((p: { id: number }) => p.id)).toEqual([few.id, many.id])
    expect(oldest.headers.link).toMatch(/[?&]page=2(&[^>]*)?>; rel="next"/)
    const page2 = await list(a, `?author_id=${a.id}&sort=created_at&per_page=2&page=2`)
    expect(page2.json().data.map((p: { id: number }) => p.id)).toEqual([none.id])
  })

  it('when the sort field or a filter is not allowed, then 400', async () => {
    const a = await registerUser(app)
    for (const query of ['?sort=body', '?sort=-id', '?per_page=101', '?author_id=x', '?q=']) {
      const res = await list(a, query)
      expect(res.statusCode, query).toBe(400)
    }
  })

  it('when nothing matches, then 200 with an empty list', async () => {
    const a = await registerUser(app)
    expect((await list(a, '?author_id=2000000000')).json()).toEqual({
      data: [],
      page: 1,
      per_page: 20,
      total: 0,
      total_pages: 0,
    })
  })

  it('when posts are written and deleted, or their author is deleted, then total stays exact (counters)', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const totalOf = async (query: string) => (await list(b, query)).json().total as number
    const everyone = await totalOf('')
    const mine = [await makePost(app, a), await makePost(app, a), await makePost(app, a)]
    await makePost(app, b)
    expect(await totalOf(`?author_id=${a.id}`)).toBe(3)
    expect(await totalOf('')).toBe(everyone + 4)
    // Past the last page there is no row to carry the total: still exact.
    expect((await list(b, `?author_id=${a.id}&page=9`)).json()).toMatchObject({ data: [], total: 3 })
    await app.inject({ method: 'DELETE', url: `/api/v1/posts/${mine[0].id}`, headers: a.auth })
    expect(await totalOf(`?author_id=${a.id}`)).toBe(2)
    // Deleting the account cascades to the posts without passing through the posts service.
    const gone = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: a.auth })
    expect(gone.statusCode).toBe(204)
    expect(await totalOf('')).toBe(everyone + 1)
    const [row] = await app.database.db
      .execute(sql`select count(*)::int n from posts`)
      .then((r) => (r as unknown as { rows: { n: number }[] }).rows)
    expect(await totalOf('')).toBe(row!.n)
  })

  it('when a post is about a draft cancelled before it was published, then its title is still not shown', async () => {
    const [organizer, reader] = [await registerUser(app), await registerUser(app)]
    const draft = await makeEvent(app, organizer, { title: 'Withdrawn premiere', status: 'draft' })
    const post = await makePost(app, organizer, { body: 'Maybe', event_id: draft.id })
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${draft.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancelled.statusCode).toBe(200)
    expect((await get(reader, post.id)).json().event).toBeNull()
    const listed = (await list(reader, `?author_id=${organizer.id}`)).json().data
    expect(JSON.stringify(listed)).not.toContain('Withdrawn premiere')
    expect((await list(reader, `?event_id=${draft.id}`)).statusCode).toBe(404)
    expect((await get(organizer, post.id)).json().event).toEqual({
      id: draft.id,
      title: 'Withdrawn premiere',
    })
  })

  it("when a post is about someone else's draft, then its title is not shown and its event filter is 404", async () => {
    const [organizer, reader] = [await registerUser(app), await registerUser(app)]
    const admin = await registerAdmin(app)
    const draft = await makeEvent(app, organizer, { title: 'Secret premiere', status: 'draft' })
    const post = await makePost(app, organizer, { body: 'Soon!', event_id: draft.id })
    const share = await makePost(app, reader, { shared_post_id: post.id })
    expect((await get(reader, post.id)).json().event).toBeNull()
    expect((await get(reader, share.id)).json().shared_post.event).toBeNull()
    const listed = (await list(reader, `?author_id=${organizer.id}`)).json().data
    expect(listed.map((p: { event: unknown }) => p.event)).toEqual([null])
    expect(JSON.stringify(listed)).not.toContain('Secret premiere')
    const found = await app.inject({
      method: 'GET',
      url: '/api/v1/search?q=soon&type=posts',
      headers: reader.auth,
    })
    expect(JSON.stringify(found.json())).not.toContain('Secret premiere')
    const hidden = await list(reader, `?event_id=${draft.id}`)
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json().code).toBe('NOT_FOUND')
    // The answer is in the contract the OpenAPI document gives.
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(doc.paths['/api/v1/posts'].get.responses['404']).toEqual(
      doc.paths['/api/v1/posts/{id}'].get.responses['404'],
    )
    // The organizer and admins see it, as they see the draft itself.
    expect((await get(organizer, post.id)).json().event).toEqual({ id: draft.id, title: 'Secret premiere' })
    expect((await get(admin, share.id)).json().shared_post.event).toEqual({
      id: draft.id,
      title: 'Secret premiere',
    })
    expect((await list(organizer, `?event_id=${draft.id}`)).json().total).toBe(1)
    // Published, it shows to everyone.
    await app.inject({ method: 'POST', url: `/api/v1/events/${draft.id}/publish`, headers: organizer.auth })
    expect((await get(reader, post.id)).json().event).toEqual({ id: draft.id, title: 'Secret premiere' })
  })

  it('when the page is 20 posts instead of 5, then the number of queries is the same', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const event = await makeEvent(app, a)
    const original = await makePost(app, b)
    for (let i = 0; i < 25; i++) {
      const post = await makePost(app, a, {
        event_id: event.id,
        ...(i % 2 ? { shared_post_id: original.id } : {}),
      })
      if (i % 3 === 0) await likePost(app, b, post.id)
    }
    const countQueries = async (perPage: number) => {
      const before = app.database.queryCount()
      const res = await list(b, `?author_id=${a.id}&per_page=${perPage}`)
      expect(res.json().data).toHaveLength(perPage)
      return app.database.queryCount() - before
    }
    const five = await countQueries(5)
    const twenty = await countQueries(20)
    expect(twenty).toBe(five)
    // Authentication, the page and its total.
    expect(twenty).toBeLessThanOrEqual(3)
  })
})
