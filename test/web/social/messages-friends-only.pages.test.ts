// /messages/{username}: a form only for a friend. Anyone else's page says up front that only friends can be
// messaged and links to their profile (where the friend request is); your own name leads to your conversations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeFriends } from '../../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { type Browser, browserFor } from '../browser.js'

let app: App
let me: TestUser
let browser: Browser
beforeAll(async () => {
  app = await buildTestApp()
  me = await registerUser(app)
  browser = await browserFor(app, me)
})
afterAll(() => app.close())

const hasForm = (html: string) => html.includes('id="message-form"')

describe('GET /messages/{username}', () => {
  it('a friend: the message form', async () => {
    const friend = await registerUser(app)
    await makeFriends(app, me, friend)
    const page = await browser.get(`/messages/${friend.username}`)
    expect(page.statusCode).toBe(200)
    expect(hasForm(page.body)).toBe(true)
    expect(page.body).not.toContain('You can only message your friends')
  })

  it('not a friend (nothing, or a request pending): no form, "You can only message your friends" and a link to their profile', async () => {
    const stranger = await registerUser(app)
    const asked = await registerUser(app)
    await app.inject({
      method: 'POST',
      url: '/api/v1/users/me/friend-requests',
      headers: me.auth,
      payload: { user_id: asked.id },
    })
    for (const other of [stranger, asked]) {
      const page = await browser.get(`/messages/${other.username}`)
      expect(page.statusCode).toBe(200)
      expect(hasForm(page.body)).toBe(false)
      expect(page.body).toContain('You can only message your friends.')
      expect(page.body).toContain(
        `<a href="/users/${other.username}">Send ${other.username} a friend request`,
      )
      // No "Say hello!" beside a form that is not there.
      expect(page.body).toContain('<p id="no-messages">No messages yet.</p>')
    }
  })

  it('a former friend: the conversation stays readable, without a form', async () => {
    const former = await registerUser(app)
    await makeFriends(app, me, former)
    await browser.get(`/messages/${former.username}`)
    expect(
      (await browser.post(`/messages/${former.username}`, { body: 'Hello old friend' })).statusCode,
    ).toBe(303)
    await app.inject({ method: 'DELETE', url: `/api/v1/users/me/friends/${former.id}`, headers: me.auth })
    const page = await browser.get(`/messages/${former.username}`)
    expect(page.body).toContain('Hello old friend')
    expect(hasForm(page.body)).toBe(false)
    expect(page.body).toContain('You can only message your friends.')
  })

  it('a message sent just as the friendship ended: refused with the reason, and what was typed shown to copy', async () => {
    const leaving = await registerUser(app)
    await makeFriends(app, me, leaving)
    expect(hasForm((await browser.get(`/messages/${leaving.username}`)).body)).toBe(true)
    await app.inject({ method: 'DELETE', url: `/api/v1/users/me/friends/${me.id}`, headers: leaving.auth })
    const sent = await browser.post(`/messages/${leaving.username}`, {
      body: 'A long note <typed> with care',
    })
    expect(sent.statusCode).toBe(403)
    expect(sent.body).toMatch(/class="form-error" role="alert">[^<]+</)
    expect(sent.body).toContain(
      '<textarea id="f-unsent" readonly>A long note &lt;typed> with care</textarea>',
    )
    expect(hasForm(sent.body)).toBe(false)
  })

  it('your own name: 303 to /messages, no conversation with yourself', async () => {
    const page = await browser.get(`/messages/${me.username}`)
    expect(page.statusCode).toBe(303)
    expect(page.headers.location).toBe('/messages')
    const sent = await browser.post(`/messages/${me.username}`, { body: 'Note to self' })
    expect(sent.statusCode).toBe(303)
    expect(sent.headers.location).toBe('/messages')
  })
})
