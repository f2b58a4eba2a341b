// No value a form or a link can carry makes a page fail. Every page route is sent a NUL and a stray control
// character in every field any page's form has (and in the query string), as a browser or a script could send
// them, and values of the wrong shape (a day that does not exist, a number out of range, a field given twice): the
// answer is a page, a redirect or a refusal, never a 500. The forms check their fields as their JSON
// routes do (the same formats), so a control character is the field's error, not a database error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'
import { type Browser, browserFor } from './browser.js'

let app: App
let admin: TestUser
let friend: TestUser
let browser: Browser
let eventId: number
let sectionId: number
let postId: number
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  admin = await registerAdmin(app)
  friend = await registerUser(app)
  await makeFriends(app, admin, friend)
  const event = await makeEvent(app, admin)
  eventId = event.id
  sectionId = event.sections[0].id
  postId = (await makePost(app, admin)).id
  browser = await browserFor(app, admin)
})
afterAll(() => app.close())

const BAD = ['a\u0000b', 'a\u0001b']
const SHAPES = ['2026-13-45', '0000-01-01', '-1', '1e400', '9'.repeat(25), 'x'.repeat(5000), 'NaN']

/** A real id or name for each path parameter where one exists, so the request reaches the code behind it. */
function filled(url: string, spareUserId: number): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    if (name === 'username') return friend.username
    if (name === 'section_id') return String(sectionId)
    if (name === 'user_id') return String(friend.id)
    if (name !== 'id') return '1'
    if (url.startsWith('/events/') || url.startsWith('/organizer/events/') || url.startsWith('/check-in/'))
      return String(eventId)
    if (url.startsWith('/posts/')) return String(postId)
    if (url.startsWith('/admin/users/')) return String(spareUserId)
    return '1'
  })
}

describe('bad values in pages', () => {
  // Thousands of requests: about 16 s alone, twice that beside the other files, hence its own time limit.
  it('no page route answers a 500 to a NUL, a control character or a value of the wrong shape in any field', async () => {
    const routes = app.routeInventory.filter(
      (r) =>
        !['/api/', '/health', '/docs', '/openapi'].some((p) => r.url.startsWith(p)) &&
        (r.method === 'GET' || r.method === 'POST'),
    )
    expect(routes.length).toBeGreaterThan(60)
    const spare = await registerUser(app)
    const gets = routes.filter((r) => r.method === 'GET')
    // Every field name any page's form has.
    const names = new Set(['q', 'page', 'next', 'token'])
    for (const r of gets) {
      const page = await browser.get(filled(r.url, spare.id))
      for (const m of page.body.matchAll(/name="([a-z_]+)"/g)) if (m[1] !== '_csrf') names.add(m[1]!)
    }
    expect(names).toContain('body')
    expect(names).toContain('display_name')
    // Signing out last: every other form is sent signed in.
    const signsOut = (url: string) => url.startsWith('/logout')
    const posts = routes
      .filter((r) => r.method === 'POST')
      .sort((a, b) => Number(signsOut(a.url)) - Number(signsOut(b.url)))
    const failures: string[] = []
    // A signed-in request sent to the login page would prove nothing: none may be.
    const signedOut: string[] = []
    const send = async (r: { method: string; url: string }, fields: Record<string, string>, what: string) => {
      const url = filled(r.url, spare.id)
      let res: Awaited<ReturnType<Browser['get']>>
      if (r.method === 'GET') {
        res = await browser.get(`${url}?${new URLSearchParams(fields)}`)
      } else {
        res = await browser.post(url, fields)
      }
      if (res.statusCode >= 500) failures.push(`${r.method} ${r.url} ${what}: ${res.statusCode}`)
      if (String(res.headers.location ?? '').startsWith('/login') && !signsOut(r.url))
        signedOut.push(`${r.url} ${what}`)
    }
    // One field at a time: a refusal of one field must not hide a failure behind another.
    for (const r of posts.filter((p) => !signsOut(p.url))) {
      for (const name of names) await send(r, { [name]: BAD[0]! }, `${name}=NUL`)
    }
    // Values of the wrong shape, before anything signs out: a day that does not exist, numbers out of any range,
    // a long string, a field given twice. Every field at once, and each one alone in the query string.
    for (const value of SHAPES) {
      const fields = Object.fromEntries([...names].map((n) => [n, value]))
      for (const r of gets) await send(r, fields, JSON.stringify(value))
      for (const r of posts) if (!signsOut(r.url)) await send(r, fields, JSON.stringify(value))
    }
    for (const r of gets) {
      for (const name of names) await send(r, { [name]: SHAPES[0]! }, `${name}=${SHAPES[0]}`)
    }
    const twice = `${[...names].map((n) => `${n}=1&${n}=2`).join('&')}`
    for (const r of gets) {
      const res = await browser.get(`${filled(r.url, spare.id)}?${twice}`)
      if (res.statusCode >= 500) failures.push(`GET ${r.url} every field twice: ${res.statusCode}`)
    }
    // A control character in every field at once, in the query string too.
    for (const value of BAD) {
      const fields = Object.fromEntries([...names].map((n) => [n, value]))
      for (const r of gets) await send(r, fields, JSON.stringify(value))
      for (const r of posts)
        if (!signsOut(r.url) || value === BAD.at(-1)) await send(r, fields, JSON.stringify(value))
    }
    expect(signedOut).toEqual([])
    expect(failures).toEqual([])
  }, 120_000)

  it("a form refuses a control character as its JSON route does: the field's error, nothing stored", async () => {
    const member = await registerUser(app, { display_name: 'Plain Name' })
    const page = await browserFor(app, member)
    await page.get('/feed')
    for (const body of ['hello\u0000world', 'hello\u0007world']) {
      const res = await page.post('/feed', { body })
      expect(res.statusCode).toBe(422)
      expect(res.body).toContain('f-body-error')
      // In words for the person, not the validator's ("must match format").
      expect(res.body).toContain('Remove the control characters')
      expect(res.body).not.toContain('must match')
    }
    await page.get('/settings')
    for (const display_name of ['Two\nLines', 'Bell\u0007Name', 'Nul\u0000Name']) {
      const res = await page.post('/settings/profile', { display_name })
      expect(res.statusCode).toBe(422)
      expect(res.body).toContain('Use one line, without control characters')
    }
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: member.auth })
    expect(me.json().display_name).toBe('Plain Name')
    const posts = await app.inject({
      method: 'GET',
      url: `/api/v1/posts?author_id=${member.id}`,
      headers: member.auth,
    })
    expect(posts.json().total).toBe(0)
    // The same text with its line breaks is fine in a multi-line field.
    expect((await page.post('/feed', { body: 'line one\r\nline two\ttabbed' })).statusCode).toBe(303)
  })
})
