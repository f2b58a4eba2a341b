// GET /posts is written by PostgreSQL as JSON text (posts.list.ts); GET /posts/{id} and the feed build each
// post in TypeScript (selectPosts → toPost). Both must give the same Post, for every reader.
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { posts, users } from '../../src/db/schema/index.js'
import { makeEvent } from '../factories/events.js'
import { likePost, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
let author: TestUser
let organizer: TestUser
let reader: TestUser
let admin: TestUser

beforeAll(async () => {
  app = await buildTestApp()
  author = await registerUser(app, { display_name: 'Zoë "Ω" \\ Tab' })
  organizer = await registerUser(app)
  reader = await registerUser(app)
  admin = await registerAdmin(app)
  // Characters the API refuses today may still be in older rows: written straight to the database.
  await app.ctx.db
    .update(users)
    .set({ avatarPath: 'f00d.webp', displayName: 'Zoë "Ω" \\ Tab\there' })
    .where(eq(users.id, author.id))
})
afterAll(() => app.close())

const get = (who: TestUser, url: string) => app.inject({ method: 'GET', url, headers: who.auth })

/** Each post of a GET /posts page beside GET /posts/{id} of the same post, for the same reader. */
async function bothPaths(who: TestUser, url: string) {
  const list = await get(who, url)
  expect(list.statusCode).toBe(200)
  expect(list.headers['content-type']).toBe('application/json; charset=utf-8')
  const page = list.json()
  const one = []
  for (const post of page.data) one.push((await get(who, `/api/v1/posts/${post.id}`)).json())
  return { page, one }
}

describe('the JSON PostgreSQL writes for a page of posts', () => {
  let authorFilter: string
  beforeAll(async () => {
    const published = await makeEvent(app, organizer, { title: 'Open "air" \\ ✓' })
    const draft = await makeEvent(app, organizer, { title: 'Secret draft', status: 'draft' })
    const plain = await makePost(app, author, { body: 'Plain "quoted" \\ backslash ✓\nsecond line' })
    const about = await makePost(app, author, { body: 'About the open event', event_id: published.id })
    const aboutDraft = await makePost(app, organizer, { body: 'About my draft', event_id: draft.id })
    await makePost(app, author, { body: 'Sharing', shared_post_id: about.id })
    await makePost(app, reader, { body: 'Sharing the draft one', shared_post_id: aboutDraft.id })
    const gone = await makePost(app, reader, { body: 'Soon deleted' })
    await makePost(app, author, { body: 'Sharing a deleted post', shared_post_id: gone.id })
    await app.inject({ method: 'DELETE', url: `/api/v1/posts/${gone.id}`, headers: reader.auth })
    await likePost(app, reader, plain.id)
    await likePost(app, author, plain.id)
    await likePost(app, reader, about.id)
    // A control character in an older row.
    await app.ctx.db.update(posts).set({ body: sql`'Old row' || chr(1)` }).where(eq(posts.id, about.id))
    authorFilter = `author_id=${author.id}`
  })

  it('when a reader, the organizer and an admin list every post, then each post equals GET /posts/{id}', async () => {
    for (const who of [reader, organizer, admin, author]) {
      const { page, one } = await bothPaths(who, '/api/v1/posts?per_page=100')
      expect(page.data.length).toBeGreaterThanOrEqual(6)
      expect(page.data).toStrictEqual(one)
    }
    const { page } = await bothPaths(reader, '/api/v1/posts?per_page=100')
    const draftPost = page.data.find((p: { body: string }) => p.body === 'About my draft')
    expect(draftPost.event).toBeNull()
    const deletedShare = page.data.find((p: { body: string }) => p.body === 'Sharing a deleted post')
    expect(deletedShare.shared_post).toBeNull()
    const asOrganizer = (await bothPaths(organizer, '/api/v1/posts?per_page=100')).page
    expect(asOrganizer.data.find((p: { body: string }) => p.body === 'About my draft').event.title).toBe(
      'Secret draft',
    )
    const liked = page.data.find((p: { body: string }) => p.body.startsWith('Plain'))
    expect([liked.like_count, liked.liked_by_me]).toEqual([2, true])
    expect(liked.author.avatar_url).toMatch(/\/media\/avatars\/f00d\.webp$/)
  })

  it('when filtered, sorted and paged, then the same posts, envelope and Link header as counted', async () => {
    for (const url of [
      `/api/v1/posts?${authorFilter}`,
      `/api/v1/posts?${authorFilter}&sort=-like_count`,
      `/api/v1/posts?${authorFilter}&sort=created_at&per_page=2&page=2`,
      '/api/v1/posts?q=SHARING&per_page=2',
    ]) {
      const { page, one } = await bothPaths(reader, url)
      expect(page.data).toStrictEqual(one)
    }
    const mine = (await get(reader, `/api/v1/posts?${authorFilter}&per_page=2&page=2`)).json()
    expect(mine).toMatchObject({ page: 2, per_page: 2, total: 4, total_pages: 2 })
    expect(mine.data).toHaveLength(2)
    const sorted = (await get(reader, `/api/v1/posts?${authorFilter}&sort=-like_count`)).json()
    expect(sorted.data.map((p: { like_count: number }) => p.like_count)).toEqual([2, 1, 0, 0])
    const past = await get(reader, `/api/v1/posts?${authorFilter}&per_page=2&page=9`)
    expect(past.json()).toEqual({ data: [], page: 9, per_page: 2, total: 4, total_pages: 2 })
    expect(past.headers.link).toContain('rel="last"')
    const searched = (await get(reader, '/api/v1/posts?q=sharing')).json()
    expect(searched.total).toBe(3)
  })
})

describe('the parts of a post stored on its rows (migration 0023)', () => {
  it('when the post, its author, its event and a shared post are edited after a first read, then the page shows every edit', async () => {
    const writer = await registerUser(app, { display_name: 'Before' })
    const event = await makeEvent(app, writer, { title: 'Before title' })
    const about = await makePost(app, writer, { body: 'Before body', event_id: event.id })
    const share = await makePost(app, reader, { body: 'Sharing it', shared_post_id: about.id })
    const url = `/api/v1/posts?author_id=${writer.id}`
    const sharesUrl = `/api/v1/posts?author_id=${reader.id}&per_page=100`
    expect((await get(reader, url)).json().data[0].body).toBe('Before body')

    const edits = await Promise.all([
      app.inject({
        method: 'PATCH',
        url: `/api/v1/posts/${about.id}`,
        headers: writer.auth,
        payload: { body: 'After "body" \\ ✓' },
      }),
      app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: writer.auth,
        payload: { display_name: 'After "Ω"' },
      }),
      app.inject({
        method: 'PATCH',
        url: `/api/v1/events/${event.id}`,
        headers: writer.auth,
        payload: { title: 'After "title" ✓' },
      }),
    ])
    for (const res of edits) expect(res.statusCode).toBe(200)
    // The API does not rename users; an operator's UPDATE must show as well. An empty avatar path is no avatar.
    await app.ctx.db
      .update(users)
      .set({ username: `renamed_${writer.id}`, avatarPath: '' })
      .where(eq(users.id, writer.id))
    await likePost(app, reader, about.id)

    const { page, one } = await bothPaths(reader, url)
    expect(page.data).toStrictEqual(one)
    expect(page.data[0]).toMatchObject({
      id: about.id,
      body: 'After "body" \\ ✓',
      author: {
        id: writer.id,
        username: `renamed_${writer.id}`,
        display_name: 'After "Ω"',
        avatar_url: null,
      },
      event: { id: event.id, title: 'After "title" ✓' },
      like_count: 1,
      liked_by_me: true,
    })
    expect(page.data[0].updated_at).not.toBe(page.data[0].created_at)
    const shares = await bothPaths(reader, sharesUrl)
    expect(shares.page.data).toStrictEqual(shares.one)
    const sharing = shares.page.data.find((p: { id: number }) => p.id === share.id)
    expect(sharing.shared_post).toMatchObject({
      body: 'After "body" \\ ✓',
      author: { username: `renamed_${writer.id}`, display_name: 'After "Ω"' },
      event: { title: 'After "title" ✓' },
      like_count: 1,
    })
  })
})
