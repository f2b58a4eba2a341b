import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'

let app: App
let tommy: TestUser
let amy: TestUser
let sammy: TestUser
let bob: TestUser

beforeAll(async () => {
  app = await buildTestApp()
  // Registered in this order, so ids rise Tommy < Amy < Sammy.
  tommy = await registerUser(app, { username: 'Tommy' })
  amy = await registerUser(app, { username: 'amy', display_name: 'Amy Winters' })
  sammy = await registerUser(app, { username: 'SAMMY' })
  bob = await registerUser(app, { username: 'bob', display_name: 'Bob Myers' })
  await makeEvent(app, bob, { title: 'Midnight Jazz Festival' })
  await makeEvent(app, bob, { title: 'Jazz' })
  await makeEvent(app, bob, { title: 'Jazz Brunch Draft', status: 'draft' })
  await makeEvent(app, bob, { title: 'Rock Parade' })
})
afterAll(() => app.close())

const search = (query: string, who?: TestUser) =>
  app.inject({ method: 'GET', url: `/api/v1/search${query}`, headers: who?.auth ?? {} })

describe('GET /search', () => {
  it('when "my" is searched, then Tommy, Amy and Sammy (and Bob Myers) are found, closest first', async () => {
    const res = await search('?q=my', tommy)
    expect(res.statusCode).toBe(200)
    expect(res.headers.etag).toBeTruthy()
    const names = res.json().users.map((u: { username: string }) => u.username)
    // "Bob Myers" has a word starting with "my": closest. Then "amy" (shortest), then the ties by id.
    expect(names).toEqual(['bob', 'amy', 'Tommy', 'SAMMY'])
    expect(res.json().users[1]).toEqual({
      id: amy.id,
      username: 'amy',
      display_name: 'Amy Winters',
      bio: '',
      avatar_url: null,
      created_at: expect.any(String),
    })
    expect(res.json().posts).toEqual([])
  })

  it('when the query is in another case or has a typo, then it still matches', async () => {
    expect((await search('?q=SAMM&type=users', amy)).json().users.map((u: { id: number }) => u.id)).toEqual([
      sammy.id,
    ])
    expect((await search('?q=tomy&type=users', amy)).json().users.map((u: { id: number }) => u.id)).toEqual([
      tommy.id,
    ])
  })

  it('when events match, then only published ones come, the closest title first', async () => {
    const body = (await search('?q=jazz&type=events')).json()
    expect(body.events.map((e: { title: string }) => e.title)).toEqual(['Jazz', 'Midnight Jazz Festival'])
    expect(body.events[0]).toMatchObject({ status: 'published', sections: expect.any(Array) })
    expect(body.users).toEqual([])
  })

  it('when events match, then each is what GET /events/{id} answers, field for field', async () => {
    const found = (await search('?q=jazz&type=events')).json().events as { id: number }[]
    expect(found).toHaveLength(2)
    for (const event of found) {
      const own = await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}` })
      expect(event).toEqual(own.json())
    }
  })

  it('when more events match than the limit, then the closest come, in order', async () => {
    const titles = (await search('?q=jazz&type=events&limit=1'))
      .json()
      .events.map((e: { title: string }) => e.title)
    expect(titles).toEqual(['Jazz'])
  })

  it('when limit is given, then each kind returns at most that many', async () => {
    const body = (await search('?q=m&limit=2', amy)).json()
    expect(body.users).toHaveLength(2)
    expect(body.events.length).toBeLessThanOrEqual(2)
  })

  it('when the caller is anonymous, then users and posts are empty; naming them in type is 401', async () => {
    const body = (await search('?q=my')).json()
    expect(body).toEqual({ users: [], events: [], posts: [] })
    const named = await search('?q=my&type=users')
    expect(named.statusCode).toBe(401)
    expect(named.json().code).toBe('AUTHORIZATION_REQUIRED')
    expect((await search('?q=my&type=events,posts')).statusCode).toBe(401)
  })

  it('when q is missing or blank, or type or limit is unknown, then 400', async () => {
    for (const query of [
      '',
      '?q=',
      '?q=%20%20',
      '?q=a&type=groups',
      '?q=a&type=users,',
      '?q=a&limit=0',
      '?q=a&limit=51',
    ]) {
      const res = await search(query, amy)
      expect(res.statusCode, query).toBe(400)
      expect(res.json().code).toBe('VALIDATION_FAILED')
    }
  })

  it('when LIKE wildcards are searched, then they are taken literally', async () => {
    expect((await search('?q=%25', amy)).json()).toEqual({ users: [], events: [], posts: [] })
  })
})

describe('GET /search: posts', () => {
  const ids: Record<string, number> = {}
  beforeAll(async () => {
    const write = async (who: TestUser, body: string) => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: who.auth,
        payload: { body },
      })
      expect(res.statusCode).toBe(201)
      ids[body] = res.json().id
    }
    await write(bob, 'Who else is going to the JAZZ festival this weekend?')
    await write(tommy, 'Jazz tonight at the Town Hall')
    await write(amy, 'jazz')
    await write(amy, 'Rock parade was loud')
    const liked = await app.inject({
      method: 'PUT',
      url: `/api/v1/posts/${ids['Jazz tonight at the Town Hall']}/like`,
      headers: amy.auth,
    })
    expect(liked.statusCode).toBe(204)
  })

  it('when a signed-in caller searches, then matching posts come closest first, as GET /posts/{id} shows them', async () => {
    const res = await search('?q=Jaz&type=posts', amy)
    expect(res.statusCode).toBe(200)
    const found = res.json().posts
    expect(found.map((p: { id: number }) => p.id)).toEqual([
      ids.jazz,
      ids['Jazz tonight at the Town Hall'],
      ids['Who else is going to the JAZZ festival this weekend?'],
    ])
    for (const post of found) {
      const one = await app.inject({ method: 'GET', url: `/api/v1/posts/${post.id}`, headers: amy.auth })
      expect(post).toEqual(one.json())
    }
    expect(found[1]).toMatchObject({
      author: { id: tommy.id, username: 'Tommy' },
      like_count: 1,
      liked_by_me: true,
    })
    // liked_by_me is the caller's own.
    const asTommy = (await search('?q=jazz%20tonight&type=posts', tommy)).json().posts
    expect(asTommy[0]).toMatchObject({ id: ids['Jazz tonight at the Town Hall'], liked_by_me: false })
  })

  it('when the query has a typo, then posts with a close word still match; limit caps them', async () => {
    const typo = (await search('?q=festivl&type=posts', tommy)).json().posts
    expect(typo.map((p: { id: number }) => p.id)).toEqual([
      ids['Who else is going to the JAZZ festival this weekend?'],
    ])
    expect((await search('?q=jazz&type=posts&limit=2', tommy)).json().posts).toHaveLength(2)
  })

  it('when the caller is anonymous, then posts stay hidden even though they match', async () => {
    expect((await search('?q=jazz')).json().posts).toEqual([])
    const named = await search('?q=jazz&type=posts')
    expect(named.statusCode).toBe(401)
    expect(named.json().code).toBe('AUTHORIZATION_REQUIRED')
  })
})
