import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { posts } from '../../src/db/schema/index.js'
import { makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser, usingPostgres } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const users = (n: number) => Promise.all(Array.from({ length: n }, () => registerUser(app)))

const like = (who: TestUser, id: number, method: 'PUT' | 'DELETE' = 'PUT') =>
  app.inject({ method, url: `/api/v1/posts/${id}/like`, headers: who.auth })
const getPost = async (who: TestUser, id: number) =>
  (await app.inject({ method: 'GET', url: `/api/v1/posts/${id}`, headers: who.auth })).json()

describe('PUT /posts/{id}/like', () => {
  it('when liked twice, then 204 both times and it counts once', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    for (let i = 0; i < 2; i++) {
      const res = await like(b, post.id)
      expect(res.statusCode).toBe(204)
      expect(res.body).toBe('')
    }
    expect(await getPost(b, post.id)).toMatchObject({ like_count: 1, liked_by_me: true })
  })

  it('when the post does not exist, then 404', async () => {
    const a = await registerUser(app)
    expect((await like(a, 2_000_000_000)).statusCode).toBe(404)
  })

  it('when 20 users like one post at the same moment, then like_count is exactly 20', async () => {
    const author = await registerUser(app)
    const post = await makePost(app, author)
    const likers = await Promise.all(Array.from({ length: 20 }, () => registerUser(app)))
    const results = await Promise.all(likers.map((u) => like(u, post.id)))
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(204))
    // The same user racing with themselves still counts once.
    await Promise.all(Array.from({ length: 5 }, () => like(likers[0]!, post.id)))
    expect((await getPost(author, post.id)).like_count).toBe(20)
    await Promise.all(likers.slice(0, 10).map((u) => like(u, post.id, 'DELETE')))
    expect((await getPost(author, post.id)).like_count).toBe(10)
  })

  it.runIf(usingPostgres())(
    'control: a read-modify-write counter under the same 20-way concurrency loses updates, so the test above would catch one',
    async () => {
      const author = await registerUser(app)
      const post = await makePost(app, author)
      const db = app.ctx.db
      // What a naive service would do: read the count, then write count + 1, on separate pool connections.
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const [row] = await db.select({ n: posts.likeCount }).from(posts).where(eq(posts.id, post.id))
          await db.execute(sql`select pg_sleep(0.05)`)
          await db
            .update(posts)
            .set({ likeCount: row!.n + 1 })
            .where(eq(posts.id, post.id))
        }),
      )
      expect((await getPost(author, post.id)).like_count).toBeLessThan(20)
    },
  )
})

describe('DELETE /posts/{id}/like', () => {
  it('when you liked it, then 204 and the count goes down; again, still 204', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    const post = await makePost(app, a)
    await like(b, post.id)
    expect((await like(b, post.id, 'DELETE')).statusCode).toBe(204)
    expect((await like(b, post.id, 'DELETE')).statusCode).toBe(204)
    expect(await getPost(b, post.id)).toMatchObject({ like_count: 0, liked_by_me: false })
  })

  it('when the post does not exist, then 404', async () => {
    const a = await registerUser(app)
    expect((await like(a, 2_000_000_000, 'DELETE')).statusCode).toBe(404)
  })
})

describe('GET /feed', () => {
  const feed = (who: TestUser, query = '') =>
    app.inject({ method: 'GET', url: `/api/v1/feed${query}`, headers: who.auth })

  it("when friends post, then your and their posts newest first, and nobody else's", async () => {
    const [me, friend, requested, stranger] = (await users(4)) as [TestUser, TestUser, TestUser, TestUser]
    await makeFriends(app, me, friend)
    await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      headers: me.auth,
      payload: { user_id: requested.id },
    })
    const mine = await makePost(app, me)
    await makePost(app, stranger)
    const theirs = await makePost(app, friend)
    await makePost(app, requested)
    await app.inject({ method: 'PUT', url: `/api/v1/posts/${theirs.id}/like`, headers: me.auth })
    const res = await feed(me)
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      data: [{ ...theirs, like_count: 1, liked_by_me: true }, mine],
      next_cursor: null,
    })
  })

  it('when there are more posts than the limit, then the cursor walks them without gaps or repeats', async () => {
    const [me, f1, f2] = (await users(3)) as [TestUser, TestUser, TestUser]
    await makeFriends(app, me, f1)
    await makeFriends(app, f2, me)
    const ids: number[] = []
    for (let i = 0; i < 7; i++) ids.push((await makePost(app, [me, f1, f2][i % 3]!)).id)
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`
      const body = (await feed(me, query)).json()
      expect(body.data.length).toBeLessThanOrEqual(3)
      seen.push(...body.data.map((p: { id: number }) => p.id))
      cursor = body.next_cursor
    } while (cursor)
    expect(seen).toEqual([...ids].reverse())
  })

  it('when you have no posts and no friends, then 200 with an empty list', async () => {
    const me = await registerUser(app)
    expect((await feed(me)).json()).toEqual({ data: [], next_cursor: null })
  })

  it('when the cursor is forged or the limit out of range, then 400', async () => {
    const me = await registerUser(app)
    for (const query of [
      '?cursor=not-a-cursor',
      `?cursor=${Buffer.from('[1,2]').toString('base64url')}`,
      '?limit=0',
    ]) {
      const res = await feed(me, query)
      expect(res.statusCode, query).toBe(400)
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' })
    }
  })

  it('when not signed in, then 401', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/feed' })).statusCode).toBe(401)
  })
})
