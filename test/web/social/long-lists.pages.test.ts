// Long lists on the social pages lose nothing: a post's comments, a profile's posts, a conversation's messages
// (on the page and through its live updates) and an organizer's events come a page at a time, every one reachable.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { comments, friendships, messages, posts } from '../../../src/db/schema/index.js'
import { quickUsers } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { makeFriends, makePost } from '../../factories/social.js'
import { type App, buildTestApp, registerUser } from '../../helpers.js'
import { browserFor } from '../browser.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

/** The ids in `html` of the elements whose id is `prefix` + a number, in page order. */
const idsOf = (html: string, prefix: string) =>
  [...html.matchAll(new RegExp(`id="${prefix}(\\d+)"`, 'g'))].map((m) => Number(m[1]))

describe('a post with more comments than a page holds', () => {
  it('shows them a page at a time, oldest first, every one reachable; a new comment is shown where it lands', async () => {
    const author = await registerUser(app)
    const post = await makePost(app, author, { body: 'Talk about it' })
    const made = await app.ctx.db
      .insert(comments)
      .values(
        Array.from({ length: 111 }, (_, i) => ({ postId: post.id, authorId: author.id, body: `c${i}` })),
      )
      .returning({ id: comments.id })
    const browser = await browserFor(app, author)
    const seen: number[] = []
    for (let n = 1; n <= 3; n++) {
      const page = await browser.get(`/posts/${post.id}?page=${n}`)
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain(`Page ${n} of 3`)
      seen.push(...idsOf(page.body, 'comment-'))
    }
    expect(seen).toEqual(made.map((c) => c.id))
    const first = await browser.get(`/posts/${post.id}`)
    expect(first.body).toContain(`href="/posts/${post.id}?page=2#comments"`)
    expect(first.body).toContain('Later comments')

    const added = await browser.post(`/posts/${post.id}/comments`, { body: 'The newest word' })
    expect(added.statusCode).toBe(303)
    const [, page, id] =
      /^\/posts\/\d+\?page=(\d+)#comment-(\d+)$/.exec(added.headers.location as string) ?? []
    expect(page).toBe('3')
    const last = await browser.get(`/posts/${post.id}?page=3`)
    expect(idsOf(last.body, 'comment-').at(-1)).toBe(Number(id))
    expect(last.body).toContain('The newest word')
  })
})

describe('a profile with more posts than a page holds', () => {
  it('pages through them, newest first, every one reachable', async () => {
    const author = await registerUser(app)
    const made = await app.ctx.db
      .insert(posts)
      .values(Array.from({ length: 45 }, (_, i) => ({ authorId: author.id, body: `p${i}` })))
      .returning({ id: posts.id })
    const browser = await browserFor(app, author)
    const seen: number[] = []
    for (let n = 1; n <= 3; n++) {
      const page = await browser.get(`/users/${author.username}?page=${n}`)
      expect(page.body).toContain(`Page ${n} of 3`)
      seen.push(...idsOf(page.body, 'post-'))
    }
    expect(seen).toEqual(made.map((p) => p.id).reverse())
    expect((await browser.get(`/users/${author.username}`)).body).toContain(
      `href="/users/${author.username}?page=2"`,
    )
  })
})

describe('a conversation longer than a page', () => {
  it('links to older messages, and the live update hands over every new one in order, none skipped', async () => {
    const a = await registerUser(app)
    const b = await registerUser(app)
    await makeFriends(app, a, b)
    const insert = (n: number, tag: string) =>
      app.ctx.db
        .insert(messages)
        .values(
          Array.from({ length: n }, (_, i) => ({ senderId: b.id, recipientId: a.id, body: `${tag}${i}` })),
        )
        .returning({ id: messages.id })
    const history = await insert(70, 'old')
    const browser = await browserFor(app, a)
    const page = await browser.get(`/messages/${b.username}`)
    const shown = [...page.body.matchAll(/data-id="(\d+)"/g)].map((m) => Number(m[1]))
    expect(shown).toEqual(history.slice(20).map((m) => m.id))
    const older = /href="(\/messages\/[^"?]+\?before=[^"]+)"/.exec(page.body)?.[1]
    expect(older).toBeDefined()
    const before = await browser.get(older!.replaceAll('&amp;', '&'))
    expect([...before.body.matchAll(/data-id="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(
      history.slice(0, 20).map((m) => m.id),
    )
    // An older page is not live: nothing is appended to it, and it leads back to the latest.
    expect(before.body).not.toContain('data-poll')
    expect(before.body).toContain(`<a href="/messages/${b.username}">Latest messages</a>`)
    expect(before.body).not.toContain('?before=')

    // A burst of 60 while the page is open: the poll hands over 50, says more follow, then the other 10.
    const burst = await insert(60, 'burst')
    let after = /data-after="(\d+)"/.exec(page.body)![1]
    const got: number[] = []
    for (const expected of [
      { n: 50, more: 'true' },
      { n: 10, more: undefined },
    ]) {
      const res = await browser.get(`/messages/${b.username}/new?after=${after}`)
      expect(res.statusCode).toBe(200)
      expect(res.headers['x-more-messages']).toBe(expected.more)
      const ids = [...res.body.matchAll(/data-id="(\d+)"/g)].map((m) => Number(m[1]))
      expect(ids).toHaveLength(expected.n)
      got.push(...ids)
      after = String(ids.at(-1))
    }
    expect(got).toEqual(burst.map((m) => m.id))
    expect((await browser.get(`/messages/${b.username}/new?after=${after}`)).statusCode).toBe(204)
    // A cursor that is not one is a clear 400, not a 500.
    expect((await browser.get(`/messages/${b.username}?before=nonsense`)).statusCode).toBe(400)
  })
})

describe("an organizer's events", () => {
  it('are listed by status, each list a page at a time, every event reachable', async () => {
    const organizer = await registerUser(app)
    const made: number[] = []
    for (let i = 0; i < 3; i++) made.push((await makeEvent(app, organizer, { status: 'draft' })).id)
    const cancelled = await makeEvent(app, organizer, { status: 'cancelled' })
    // 52 published: one page of 50 and a second of 2, made by copying a published one.
    const published = await makeEvent(app, organizer, { title: 'Run 0' })
    await app.ctx.db.execute(sql`
      insert into events (organizer_id, title, description, venue, starts_at, timezone, currency, status, published_at)
      select organizer_id, 'Run ' || n, description, venue, starts_at + n * interval '1 day', timezone, currency,
             status, published_at
      from events, generate_series(1, 51) as n where id = ${published.id}`)
    const browser = await browserFor(app, organizer)
    const first = await browser.get('/organizer/events')
    expect(first.body).toContain('Drafts (3)')
    expect(first.body).toContain('Published (52)')
    expect(first.body).toContain('Cancelled (1)')
    for (const id of [...made, cancelled.id, published.id])
      expect(first.body).toContain(`/organizer/events/${id}"`)
    const runs = (html: string) => [...html.matchAll(/>Run (\d+)</g)].map((m) => Number(m[1]))
    const next = /href="(\/organizer\/events\?[^"]*published=2[^"]*)"/.exec(first.body)?.[1]
    expect(next).toBeDefined()
    const second = await browser.get(next!.replaceAll('&amp;', '&'))
    expect(second.body).toContain('Page 2 of 2')
    // The other lists stay where they were.
    expect(second.body).toContain('Drafts (3)')
    expect(new Set([...runs(first.body), ...runs(second.body)]).size).toBe(52)
  })
})

describe('the friends page', () => {
  it('pages each of its lists on its own, every friend and request reachable', async () => {
    const me = await registerUser(app)
    const people = await quickUsers(app, 55)
    await app.ctx.db
      .insert(friendships)
      .values([
        ...people
          .slice(0, 52)
          .map((p) => ({ requesterId: p.id, addresseeId: me.id, status: 'accepted' as const })),
        ...people.slice(52).map((p) => ({ requesterId: p.id, addresseeId: me.id })),
      ])
    const browser = await browserFor(app, me)
    const names = (html: string) => new Set([...html.matchAll(/\(@([^)]+)\)/g)].map((m) => m[1]))
    const first = await browser.get('/friends')
    const next = /href="(\/friends\?[^"]*friends=2[^"]*)"/.exec(first.body)?.[1]
    expect(next).toBeDefined()
    const second = await browser.get(next!.replaceAll('&amp;', '&'))
    const seen = new Set([...names(first.body), ...names(second.body)])
    for (const p of people) expect(seen.has(p.username), p.username).toBe(true)
    // The requests for me are on both pages: their list stays on its own first page.
    for (const p of people.slice(52)) expect(names(second.body).has(p.username)).toBe(true)
  })
})

describe('what a page reads back', () => {
  it('a value holding an entity as typed ("&amp;") is written so that a browser shows and sends it back as it is', async () => {
    const organizer = await registerUser(app, { display_name: 'Tom &amp; Jerry &lt;3' })
    const event = await makeEvent(app, organizer, { title: 'Fish &amp Chips', venue: 'Bar &amp; Grill' })
    const browser = await browserFor(app, organizer)
    const edit = await browser.get(`/organizer/events/${event.id}`)
    // `&amp;amp;` in the HTML is `&amp;` in the field: what is stored, sent back unchanged.
    expect(edit.body).toContain('value="Bar &amp;amp; Grill"')
    expect(edit.body).toContain('value="Fish &amp;amp Chips"')
    expect(edit.body).toContain('aria-label="Edit General Admission"')
    const settings = await browser.get('/settings')
    expect(settings.body).toContain('value="Tom &amp;amp; Jerry &amp;lt;3"')
    const page = await browserFor(app, organizer)
    expect((await page.get(`/events/${event.id}`)).body).toContain(
      '<meta property="og:title" content="Fish &amp;amp Chips"/>',
    )
  })

  it('a refused comment comes back with what was typed, on the page of comments it was sent from', async () => {
    const author = await registerUser(app)
    const post = await makePost(app, author)
    await app.ctx.db
      .insert(comments)
      .values(Array.from({ length: 60 }, (_, i) => ({ postId: post.id, authorId: author.id, body: `c${i}` })))
    const browser = await browserFor(app, author)
    const second = await browser.get(`/posts/${post.id}?page=2`)
    expect(second.body).toContain('<input type="hidden" name="page" value="2"/>')
    const refused = await browser.post(`/posts/${post.id}/comments`, {
      page: '2',
      body: 'hello \u0085 world',
    })
    expect(refused.statusCode).toBe(422)
    expect(refused.body).toContain('>hello \u0085 world</textarea>')
    expect(refused.body).toContain('Page 2 of 2')
  })

  it('page numbers are digits: "1e2" is page 1, one past the API\'s last page says so with a link back', async () => {
    const author = await registerUser(app)
    await makePost(app, author)
    const browser = await browserFor(app, author)
    const odd = await browser.get(`/users/${author.username}?page=1e2`)
    expect(odd.statusCode).toBe(200)
    expect(odd.body).not.toContain('past the last page')
    const far = await browser.get(`/users/${author.username}?page=999999999999`)
    expect(far.statusCode).toBe(200)
    expect(far.body).toContain('Page 100000 is past the last page')
    expect(far.body).toContain('Back to the first page')
  })

  it('an older page of a conversation with nothing older says so, and leads back to the latest', async () => {
    const a = await registerUser(app)
    const b = await registerUser(app)
    await makeFriends(app, a, b)
    await app.ctx.db.insert(messages).values({ senderId: b.id, recipientId: a.id, body: 'only one' })
    const browser = await browserFor(app, a)
    // The cursor of a page before message 0: nothing is older.
    const before = Buffer.from('[1]').toString('base64url')
    const page = await browser.get(`/messages/${b.username}?before=${before}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('No older messages.')
    expect(page.body).not.toContain('Say hello')
    expect(page.body).toContain(`<a href="/messages/${b.username}">Latest messages</a>`)
  })

  it('"Add friend" on a page drawn before the other person asked makes you friends, and says so', async () => {
    const a = await registerUser(app)
    const b = await registerUser(app)
    const browser = await browserFor(app, a)
    await browser.get(`/users/${b.username}`)
    // b asks a meanwhile.
    await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      headers: b.auth,
      payload: { user_id: a.id },
    })
    const added = await browser.post('/friends/request', {
      user_id: String(b.id),
      next: `/users/${b.username}`,
    })
    expect(added.statusCode).toBe(303)
    expect((await browser.get(added.headers.location as string)).body).toContain('You are now friends.')
  })

  it('answering a request on a later page of /friends comes back to the pages shown', async () => {
    const me = await registerUser(app)
    const browser = await browserFor(app, me)
    const page = await browser.get('/friends?incoming=1&friends=2&outgoing=1')
    expect(page.statusCode).toBe(200)
    // No request to answer here, but every form that answers one carries the pages as its way back.
    const asker = await registerUser(app)
    await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      headers: asker.auth,
      payload: { user_id: me.id },
    })
    const shown = await browser.get('/friends?incoming=1&friends=2&outgoing=1')
    expect(shown.body).toContain('name="next" value="/friends?incoming=1&amp;friends=2&amp;outgoing=1"')
  })
})
