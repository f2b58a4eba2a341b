import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeComment, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
const commentCount = async (who: TestUser, postId: number) =>
  (await app.inject({ method: 'GET', url: `/api/v1/posts/${postId}`, headers: who.auth })).json()
    .comment_count

describe('POST /posts/{id}/comments', () => {
  it('when the post exists, then 201 with the comment and the post counts it', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/posts/${post.id}/comments`,
      headers: b.auth,
      payload: { body: 'Nice!' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({
      id: expect.any(Number),
      post_id: post.id,
      body: 'Nice!',
      author: { id: b.id, username: b.username, display_name: b.username, avatar_url: null },
      created_at: iso,
      updated_at: iso,
    })
    expect(await commentCount(a, post.id)).toBe(1)
  })

  it('when the post does not exist, then 404; an empty or oversized body, 400', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a)
    const missing = await app.inject({
      method: 'POST',
      url: '/api/v1/posts/2000000000/comments',
      headers: a.auth,
      payload: { body: 'x' },
    })
    expect(missing.statusCode).toBe(404)
    for (const body of ['', 'x'.repeat(5001)]) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/posts/${post.id}/comments`,
        headers: a.auth,
        payload: { body },
      })
      expect(res.statusCode).toBe(400)
    }
  })
})

describe('GET /posts/{id}/comments', () => {
  it('when there are comments, then oldest first, paginated with Link headers', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const c1 = await makeComment(app, a, post.id, 'one')
    const c2 = await makeComment(app, b, post.id, 'two')
    const c3 = await makeComment(app, a, post.id, 'three')
    const res = await app.inject({
      method: 'GET',
      url: `/api/v1/posts/${post.id}/comments?per_page=2`,
      headers: b.auth,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ data: [c1, c2], page: 1, per_page: 2, total: 3, total_pages: 2 })
    expect(res.headers.link).toContain('rel="next"')
    const page2 = await app.inject({
      method: 'GET',
      url: `/api/v1/posts/${post.id}/comments?per_page=2&page=2`,
      headers: b.auth,
    })
    expect(page2.json().data).toEqual([c3])
  })

  it('when the post has none, then an empty list; an unknown post, 404', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a)
    const empty = await app.inject({
      method: 'GET',
      url: `/api/v1/posts/${post.id}/comments`,
      headers: a.auth,
    })
    expect(empty.json()).toEqual({ data: [], page: 1, per_page: 20, total: 0, total_pages: 0 })
    const missing = await app.inject({
      method: 'GET',
      url: '/api/v1/posts/2000000000/comments',
      headers: a.auth,
    })
    expect(missing.statusCode).toBe(404)
  })
})

describe('PATCH /comments/{id}', () => {
  const patch = (who: TestUser, id: number, body: unknown) =>
    app.inject({ method: 'PATCH', url: `/api/v1/comments/${id}`, headers: who.auth, payload: { body } })

  it('when the author edits, then 200 with the new body', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const comment = await makeComment(app, b, post.id, 'teh')
    const res = await patch(b, comment.id, 'the')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ ...comment, body: 'the', updated_at: iso })
  })

  it('when someone else edits (even the post author), then 403 and it is unchanged; an admin may', async () => {
    const [a, b, admin] = [await registerUser(app), await registerUser(app), await registerAdmin(app)]
    const post = await makePost(app, a)
    const comment = await makeComment(app, b, post.id, 'original')
    const res = await patch(a, comment.id, 'changed by the post author')
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN' })
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/posts/${post.id}/comments`,
      headers: a.auth,
    })
    expect(list.json().data[0].body).toBe('original')
    expect((await patch(admin, comment.id, 'moderated')).statusCode).toBe(200)
  })

  it('when the comment is unknown, then 404; an empty body, 400', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a)
    const comment = await makeComment(app, a, post.id)
    expect((await patch(a, 2_000_000_000, 'x')).statusCode).toBe(404)
    expect((await patch(a, comment.id, '')).statusCode).toBe(400)
  })
})

describe('DELETE /comments/{id}', () => {
  const del = (who: TestUser, id: number) =>
    app.inject({ method: 'DELETE', url: `/api/v1/comments/${id}`, headers: who.auth })

  it('when its author deletes, then 204 and the post count goes down', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const comment = await makeComment(app, b, post.id)
    expect((await del(b, comment.id)).statusCode).toBe(204)
    expect(await commentCount(a, post.id)).toBe(0)
    expect((await del(b, comment.id)).statusCode).toBe(404)
  })

  it('when the post author deletes a comment on their post, then 204', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    const comment = await makeComment(app, b, post.id)
    expect((await del(a, comment.id)).statusCode).toBe(204)
  })

  it('when a third user deletes, then 403 and the comment stays; an admin may', async () => {
    const [a, b, c] = [await registerUser(app), await registerUser(app), await registerUser(app)]
    const admin = await registerAdmin(app)
    const post = await makePost(app, a)
    const comment = await makeComment(app, b, post.id)
    const res = await del(c, comment.id)
    expect(res.statusCode).toBe(403)
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN' })
    expect(await commentCount(a, post.id)).toBe(1)
    expect((await del(admin, comment.id)).statusCode).toBe(204)
  })
})
