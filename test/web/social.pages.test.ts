import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, PASSWORD, registerAdmin, registerUser } from '../helpers.js'
import { Browser, browserFor } from './browser.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

describe('feed and posts', () => {
  it('sends anonymous visitors to the login page and back', async () => {
    for (const path of ['/feed', '/friends', '/messages', '/settings', '/admin/users']) {
      const res = await new Browser(app).get(path)
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe(`/login?next=${encodeURIComponent(path)}`)
    }
  })

  it("shows the member's and friends' posts, not strangers'; posts and comments through forms", async () => {
    const me = await registerUser(app)
    const friend = await registerUser(app)
    const stranger = await registerUser(app)
    await makeFriends(app, me, friend)
    await makePost(app, friend, { body: 'Friend <i>post</i> here' })
    await makePost(app, stranger, { body: 'Stranger post here' })
    const browser = await browserFor(app, me)
    const posted = await browser.post('/feed', { body: 'My own page post' })
    expect(posted.statusCode).toBe(303)
    const feed = await browser.get('/feed')
    expect(feed.body).toContain('My own page post')
    expect(feed.body).toContain('Friend &lt;i>post&lt;/i> here')
    expect(feed.body).not.toContain('Stranger post here')
    const empty = await browser.post('/feed', { body: '' })
    expect(empty.statusCode).toBe(422)
    expect(empty.body).toContain('f-body-error')

    const id = /href="\/posts\/(\d+)"/.exec(feed.body)?.[1]
    const commented = await browser.post(`/posts/${id}/comments`, { body: 'Nice one' })
    expect(commented.statusCode).toBe(303)
    expect((await browser.get(`/posts/${id}`)).body).toContain('Nice one')
    // A like from the feed comes back to the post's card in the feed, not to the top of a long page.
    expect(feed.body).toContain(`<article class="post" id="post-${id}">`)
    const liked = await browser.post(`/posts/${id}/like`, {}, { referer: 'http://localhost/feed' })
    expect(liked.statusCode).toBe(303)
    expect(liked.headers.location).toBe(`/feed#post-${id}`)
    expect((await browser.get(`/posts/${id}`)).body).toContain('Liked (1)')
    const unliked = await browser.post(`/posts/${id}/unlike`)
    expect(unliked.headers.location).toBe(`/posts/${id}#post-${id}`)
  })
})

describe('people and friends', () => {
  it('asks, accepts and unfriends from the profile and friends pages', async () => {
    const a = await registerUser(app)
    const b = await registerUser(app, { display_name: 'Bea Buddy' })
    const browserA = await browserFor(app, a)
    const profile = await browserA.get(`/users/${b.username}`)
    expect(profile.body).toContain('Bea Buddy')
    expect(profile.body).toContain('Add friend')
    expect(profile.body).not.toContain(b.email)
    const asked = await browserA.post('/friends/request', {
      user_id: String(b.id),
      next: `/users/${b.username}`,
    })
    expect(asked.statusCode).toBe(303)
    expect(asked.headers.location).toBe(`/users/${b.username}`)
    expect((await browserA.get(`/users/${b.username}`)).body).toContain('Friend request sent')
    // Pressed again from a page drawn before: the reason on the profile, not a bare "Conflict" page.
    const again = await browserA.post('/friends/request', {
      user_id: String(b.id),
      next: `/users/${b.username}`,
    })
    expect(again.statusCode).toBe(303)
    expect(again.headers.location).toBe(`/users/${b.username}`)
    expect((await browserA.get(`/users/${b.username}`)).body).toContain(
      'You already sent this user a friend request',
    )

    const browserB = await browserFor(app, b)
    const friends = await browserB.get('/friends')
    const accept = /action="(\/friend-requests\/\d+\/accept)"/.exec(friends.body)?.[1]
    expect((await browserB.post(accept!, { next: '/friends' })).statusCode).toBe(303)
    expect((await browserB.get('/friends')).body).toContain(`@${a.username}`)
    expect((await browserA.get(`/users/${b.username}`)).body).toContain('Send a message')
  })

  it('404s an unknown profile', async () => {
    const browser = await browserFor(app, await registerUser(app))
    expect((await browser.get('/users/nobody_by_that_name')).statusCode).toBe(404)
  })
})

describe('messages', () => {
  it('friends exchange messages; the poll returns only what is new; strangers cannot send', async () => {
    const a = await registerUser(app)
    const b = await registerUser(app)
    const stranger = await registerUser(app)
    await makeFriends(app, a, b)
    const browserA = await browserFor(app, a)
    await browserA.get(`/messages/${b.username}`)
    expect((await browserA.post(`/messages/${b.username}`, { body: 'Hello <b>B</b>' })).statusCode).toBe(303)

    const browserB = await browserFor(app, b)
    const page = await browserB.get(`/messages/${a.username}`)
    expect(page.body).toContain('Hello &lt;b>B&lt;/b>')
    expect(page.body).toMatch(/<script src="\/assets\/messages\.[\w-]+\.js" defer>/)
    const after = /data-after="(\d+)"/.exec(page.body)?.[1]
    expect((await browserB.get(`/messages/${a.username}/new?after=${after}`)).statusCode).toBe(204)
    await browserA.post(`/messages/${b.username}`, { body: 'Second one' })
    const fresh = await browserB.get(`/messages/${a.username}/new?after=${after}`)
    expect(fresh.statusCode).toBe(200)
    expect(fresh.body).toContain('Second one')
    expect(fresh.body).not.toContain('Hello')
    expect((await browserB.get('/messages')).body).toContain(a.username)

    const browserS = await browserFor(app, stranger)
    const refused = await browserS.post(`/messages/${a.username}`, { body: 'Hi stranger' })
    // The service's refusal keeps its status, as the API's: 403 NOT_FRIENDS.
    expect(refused.statusCode).toBe(403)
    expect(refused.body).toContain('only message your friends')
    expect((await browserS.get(`/messages/${b.username}`)).body).not.toContain('Hello')
  })
})

describe('settings', () => {
  it('an avatar upload cut short is a 400 page that says so, never a 500, and the session stays', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    await browser.get('/settings')
    const cookie = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    const part = (name: string, head = '') =>
      `--xyz\r\nContent-Disposition: form-data; name="${name}"${head}\r\n`
    const res = await app.inject({
      method: 'POST',
      url: '/settings/avatar',
      headers: { cookie, accept: 'text/html', 'content-type': 'multipart/form-data; boundary=xyz' },
      payload: `${part('_csrf')}\r\n${browser.csrf}\r\n${part('avatar', '; filename="a.png"')}Content-Type: image/png\r\n\r\n\x89PNG`,
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    expect(res.body).toContain('The upload did not arrive whole.')
    expect((await browser.get('/settings')).statusCode).toBe(200)
  })

  it('changing the password signs out the other sessions at once; this browser stays, in a new session: a copy of its old cookie is out too', async () => {
    const user = await registerUser(app)
    const here = await browserFor(app, user)
    const elsewhere = await browserFor(app, user)
    await here.get('/settings')
    // What someone who copied this browser's cookie before the change holds.
    const copy = new Browser(app)
    for (const [name, value] of here.cookies) copy.cookies.set(name, value)
    expect((await copy.get('/settings')).statusCode).toBe(200)
    const wrong = await here.post('/settings/password', {
      current_password: 'nope-nope',
      new_password: 'An0ther-pass-word',
    })
    expect(wrong.statusCode).toBe(422)
    // In words, not the API's field name.
    expect(wrong.body).toMatch(/id="f-current_password-error"[^>]*>The current password is wrong</)
    const ok = await here.post('/settings/password', {
      current_password: PASSWORD,
      new_password: 'An0ther-pass-word',
    })
    expect(ok.statusCode).toBe(303)
    const after = await here.get('/settings')
    expect(after.statusCode).toBe(200)
    expect(after.body).toContain('Password changed. Your other sessions are signed out.')
    expect((await elsewhere.get('/settings')).statusCode).toBe(303)
    expect((await copy.get('/settings')).statusCode).toBe(303)
    // This browser's forms go on working in its new session.
    expect(
      (await here.post('/settings/profile', { display_name: 'Still here', username: user.username }))
        .statusCode,
    ).toBe(303)
  })

  it('updates the profile, and deleting the account ends the session', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    await browser.get('/settings')
    expect(
      (
        await browser.post('/settings/profile', {
          display_name: 'New Name',
          bio: 'Hi',
          username: user.username,
        })
      ).statusCode,
    ).toBe(303)
    expect((await browser.get('/settings')).body).toContain('value="New Name"')
    // The profile form reads its own fields: an e-mail address sent with it is the e-mail form's business,
    // neither an error the profile form cannot show nor a change without the password.
    for (const email of ['not an address', 'someone.else@example.com']) {
      const res = await browser.post('/settings/profile', { display_name: 'Newer Name', email })
      expect(res.statusCode).toBe(303)
    }
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.auth })
    expect(me.json()).toMatchObject({ display_name: 'Newer Name', email: user.email })
    const refused = await browser.post('/settings/delete', { current_password: 'wrong-one' })
    expect(refused.statusCode).toBe(422)
    expect((await browser.post('/settings/delete', { current_password: PASSWORD })).statusCode).toBe(303)
    expect((await browser.get('/settings')).statusCode).toBe(303)
  })

  it('logout everywhere ends this browser too', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    expect((await browser.post('/logout-all')).statusCode).toBe(303)
    expect((await browser.get('/feed')).statusCode).toBe(303)
  })
})

describe('admin', () => {
  it('lists users for admins only; a demotion takes effect at once', async () => {
    const member = await registerUser(app)
    const memberBrowser = await browserFor(app, member)
    expect((await memberBrowser.get('/admin/users')).statusCode).toBe(403)
    const admin = await registerAdmin(app)
    const adminBrowser = await browserFor(app, admin)
    const list = await adminBrowser.get(`/admin/users?q=${member.username}`)
    expect(list.statusCode).toBe(200)
    expect(list.body).toContain(member.email)
    const other = await registerAdmin(app)
    const otherBrowser = await browserFor(app, other)
    expect((await otherBrowser.get('/admin/users')).statusCode).toBe(200)
    expect((await adminBrowser.post(`/admin/users/${other.id}/role`, { role: 'user' })).statusCode).toBe(303)
    expect((await otherBrowser.get('/admin/users')).statusCode).toBe(403)
  })
})
