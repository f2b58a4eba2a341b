import { and, eq, isNull, like, sql } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sessions } from '../../src/db/schema/index.js'
import { issueUserToken } from '../../src/modules/auth/user-tokens.js'
import { when } from '../../src/web/format.js'
import { multipart } from '../factories/social.js'
import { type App, buildTestApp, PASSWORD, registerUser, type TestUser } from '../helpers.js'
import { jobRows } from '../jobs/helpers.js'
import { Browser, browserFor } from './browser.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const idsOf = (html: string) => [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!)

/** Every id once; every label, aria-describedby and form field id points at an element of its own form. */
function expectWellTied(html: string, what: string) {
  const ids = idsOf(html)
  const repeated = ids.filter((id, i) => ids.indexOf(id) !== i)
  expect(repeated, `${what}: ids used more than once`).toEqual([])
  for (const form of html.match(/<form[\s\S]*?<\/form>/g) ?? []) {
    const own = new Set(idsOf(form))
    for (const [, target] of form.matchAll(/<label for="([^"]+)"/g)) {
      expect(own.has(target!), `${what}: label for=${target} outside its form`).toBe(true)
    }
    for (const [, list] of form.matchAll(/aria-describedby="([^"]+)"/g)) {
      for (const target of list!.split(' ')) expect(own.has(target), `${what}: ${target}`).toBe(true)
    }
  }
}

/** The field with `id`: invalid, and described by its error, which says `message`. */
function expectFieldError(html: string, id: string, message: string) {
  const input = new RegExp(`<(?:input|textarea)[^>]*\\sid="${id}"[^>]*>`).exec(html)?.[0]
  expect(input, id).toBeDefined()
  expect(input).toContain('aria-invalid="true"')
  expect(input).toMatch(new RegExp(`aria-describedby="[^"]*${id}-error`))
  expect(html).toContain(`<small id="${id}-error" class="field-error">${message}</small>`)
  expect(html).not.toContain('class="form-error"')
}

async function uploadAvatar(
  browser: Browser,
  file?: { data: Buffer | string; filename: string; type: string },
) {
  const parts = [{ name: '_csrf', data: browser.csrf! }]
  if (file)
    parts.push({ name: 'avatar', data: file.data, filename: file.filename, contentType: file.type } as never)
  const form = multipart(parts)
  return app.inject({
    method: 'POST',
    url: '/settings/avatar',
    payload: form.payload,
    headers: {
      ...form.headers,
      accept: 'text/html',
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  })
}

describe('GET /settings and its forms', () => {
  it('gives every field of every form its own id, with each form refused in turn', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    const page = await browser.get('/settings')
    expect(page.statusCode).toBe(200)
    expectWellTied(page.body, 'the page')
    // The three password fields each have a label of their own form.
    expect(page.body).toMatch(
      /<label for="f-email-current_password"><span>Your password<\/span><input id="f-email-current_password"/,
    )
    expect(page.body).toMatch(
      /<label for="f-current_password"><span>Current password<\/span><input id="f-current_password"/,
    )
    expect(page.body).toMatch(
      /<label for="f-delete-current_password"><span>Your password<\/span><input id="f-delete-current_password"/,
    )

    const refused: [string, LightMyRequestResponse][] = []
    await browser.get('/settings')
    refused.push(['profile', await browser.post('/settings/profile', { display_name: '', username: 'a b' })])
    await browser.get('/settings')
    refused.push(['email', await browser.post('/settings/email', { email: 'nope', current_password: '' })])
    await browser.get('/settings')
    refused.push([
      'password',
      await browser.post('/settings/password', { current_password: 'x', new_password: 'y' }),
    ])
    await browser.get('/settings')
    refused.push(['delete', await browser.post('/settings/delete', { current_password: '' })])
    await browser.get('/settings')
    refused.push(['avatar', await uploadAvatar(browser)])
    for (const [form, res] of refused) {
      expect(res.statusCode, form).toBe(422)
      expect(res.body, form).toContain(`<p class="error-summary" role="alert"><a href="#${form}-h">`)
      expect(res.body, form).toContain('aria-invalid="true"')
      expectWellTied(res.body, form)
    }
  })

  it('puts a wrong password beside the field of the form that asked for it, and the right one works', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    await browser.get('/settings')
    const wrongEmail = await browser.post('/settings/email', {
      email: 'new-address@example.com',
      current_password: 'not-my-password',
    })
    expect(wrongEmail.statusCode).toBe(422)
    expect(wrongEmail.body).toMatch(/<input id="f-email-current_password"[^>]*aria-invalid="true"/)
    expect(wrongEmail.body).not.toMatch(/<input id="f-delete-current_password"[^>]*aria-invalid/)

    const wrongDelete = await browser.post('/settings/delete', { current_password: 'not-my-password' })
    expect(wrongDelete.body).toMatch(/<input id="f-delete-current_password"[^>]*aria-invalid="true"/)
    expect(wrongDelete.body).not.toMatch(/<input id="f-email-current_password"[^>]*aria-invalid/)

    const changed = await browser.post('/settings/email', {
      email: `${user.username}-new@example.com`,
      current_password: PASSWORD,
    })
    expect(changed.statusCode).toBe(303)
    expect((await browser.get('/settings')).body).toContain(`${user.username}-new@example.com`)
    const deleted = await browser.post('/settings/delete', { current_password: PASSWORD })
    expect(deleted.statusCode).toBe(303)
    expect(deleted.headers.location).toBe('/')
    expect((await browser.get('/settings')).statusCode).toBe(303)
  })
})

describe('confirming the address from /settings', () => {
  it('mails a new link while the address is not confirmed; asked again too soon, it says how long to wait', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    const page = await browser.get('/settings')
    expect(page.body).toContain('not confirmed yet')
    expect(page.body).toContain('action="/settings/verify"')
    expect(page.body).toContain('Mail me a new confirmation link')

    const asked = await browser.post('/settings/verify')
    expect(asked.statusCode).toBe(303)
    expect((await browser.get(asked.headers.location as string)).body).toContain(
      'A new confirmation link is on its way to your address.',
    )
    const queued = await jobRows(
      app,
      sql`name = 'mail' and data->>'kind' = 'verify-email' and data->>'again' = 'true' and (data->>'userId')::int = ${user.id}`,
    )
    expect(queued).toHaveLength(1)

    // The worker mints the link when it sends it; then asking again is refused for the cooldown.
    const token = await issueUserToken(app.ctx.db, {
      userId: user.id,
      purpose: 'verify_email',
      email: user.email,
      ttlSeconds: 600,
    })
    const soon = await browser.post('/settings/verify')
    expect(soon.statusCode).toBe(429)
    const wait = Number(soon.headers['retry-after'])
    expect(wait).toBeGreaterThan(0)
    expect(soon.body).toContain(`ask again in ${wait} seconds`)
    // The page opens at its top, far above the button on a phone: the top says so and links down.
    expect(soon.body).toContain(
      '<p class="error-summary" role="alert"><a href="#email-h">No new link was mailed: see why under “E-mail”.</a></p>',
    )
    expect(soon.body).toContain('action="/settings/verify"')

    const verified = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/email/verify',
      payload: { token },
    })
    expect(verified.statusCode).toBe(204)
    const after = await browser.get('/settings')
    expect(after.body).toContain(`${user.email} · confirmed`)
    expect(after.body).not.toContain('action="/settings/verify"')
    // A tab drawn before the address was confirmed: nothing to mail, nothing wrong.
    const stale = await browser.post('/settings/verify')
    expect(stale.statusCode).toBe(303)
    expect((await browser.get('/settings')).body).toContain('Your e-mail address is already confirmed.')
  })
})

describe('refusals beside their fields on /settings', () => {
  it('a username taken is beside the username field', async () => {
    const other = await registerUser(app)
    const browser = await browserFor(app, await registerUser(app))
    await browser.get('/settings')
    const res = await browser.post('/settings/profile', { display_name: 'Me', username: other.username })
    expect(res.statusCode).toBe(422)
    expectFieldError(res.body, 'f-username', 'That username is taken')
  })

  it('a name sent empty (not spaces: nothing) is refused beside its field, not "Profile saved."; an emptied bio is removed, and a bio keeps its line breaks', async () => {
    const me = await registerUser(app, { display_name: 'Kept Name' })
    const browser = await browserFor(app, me)
    await browser.get('/settings')
    for (const field of ['display_name', 'username'] as const) {
      const res = await browser.post('/settings/profile', {
        display_name: 'Kept Name',
        username: me.username,
        bio: 'Typed bio',
        [field]: '',
      })
      expect(res.statusCode, field).toBe(422)
      expect(res.body, field).not.toContain('Profile saved.')
      expectFieldError(res.body, `f-${field}`, 'Fill this in')
      // What was typed in the other fields is still there.
      expect(res.body, field).toContain('>Typed bio</textarea>')
    }
    const profile = await app.inject({ url: '/api/v1/users/me', headers: me.auth })
    expect(profile.json()).toMatchObject({ display_name: 'Kept Name', username: me.username, bio: '' })

    const lines = 'First line\nSecond line'
    const saved = await browser.post('/settings/profile', {
      display_name: 'Kept Name',
      username: me.username,
      bio: lines,
    })
    expect(saved.statusCode).toBe(303)
    expect((await browser.get(`/users/${me.username}`)).body).toContain(
      `<p class="user-text" dir="auto">First line\nSecond line</p>`,
    )
    const emptied = await browser.post('/settings/profile', {
      display_name: 'Kept Name',
      username: me.username,
      bio: '',
    })
    expect(emptied.statusCode).toBe(303)
    expect((await app.inject({ url: '/api/v1/users/me', headers: me.auth })).json().bio).toBe('')
  })

  it('a display name emptied is refused beside its field; the name stays', async () => {
    const me = await registerUser(app, { display_name: 'Kept Name' })
    const browser = await browserFor(app, me)
    await browser.get('/settings')
    const res = await browser.post('/settings/profile', {
      display_name: '  ',
      username: me.username,
      bio: '',
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).not.toContain('Profile saved.')
    expect(res.body).toMatch(/<small id="f-display_name-error" class="field-error">[^<]+<\/small>/)
    const profile = await app.inject({ url: '/api/v1/users/me', headers: me.auth })
    expect(profile.json().display_name).toBe('Kept Name')
  })

  it('an e-mail address taken is beside the e-mail field', async () => {
    const other = await registerUser(app)
    const browser = await browserFor(app, await registerUser(app))
    await browser.get('/settings')
    const res = await browser.post('/settings/email', { email: other.email, current_password: PASSWORD })
    expect(res.statusCode).toBe(422)
    expectFieldError(res.body, 'f-email', 'That email address is taken')
  })

  it('a wrong current password is said with the form’s other reasons, not on the next attempt', async () => {
    const browser = await browserFor(app, await registerUser(app))
    await browser.get('/settings')
    const wrong = 'not-my-password'
    // Behind the form's own check (a new password too short)…
    const short = await browser.post('/settings/password', { current_password: wrong, new_password: 'short' })
    expect(short.statusCode).toBe(422)
    expectFieldError(short.body, 'f-current_password', 'The current password is wrong')
    expect(short.body).toMatch(/<input id="f-new_password"[^>]*aria-invalid="true"/)
    // …and a too-common new password behind a wrong current one.
    const common = await browser.post('/settings/password', {
      current_password: wrong,
      new_password: 'password1',
    })
    expect(common.statusCode).toBe(422)
    expectFieldError(common.body, 'f-current_password', 'The current password is wrong')
    expectFieldError(common.body, 'f-new_password', 'This password is too common: choose another')
    // The e-mail form too.
    const email = await browser.post('/settings/email', { email: 'not-an-address', current_password: wrong })
    expect(email.statusCode).toBe(422)
    expectFieldError(email.body, 'f-email-current_password', 'The current password is wrong')
    expect(email.body).toMatch(/<input id="f-email"[^>]*aria-invalid="true"/)
    // The right current password with a short new one: only the new one is refused.
    const right = await browser.post('/settings/password', {
      current_password: PASSWORD,
      new_password: 'short',
    })
    expect(right.statusCode).toBe(422)
    expect(right.body).not.toMatch(/<input id="f-current_password"[^>]*aria-invalid/)
  })

  it('a malformed username and a common new password are said as sentences', async () => {
    const browser = await browserFor(app, await registerUser(app))
    await browser.get('/settings')
    const name = await browser.post('/settings/profile', { display_name: 'Me', username: 'a b' })
    expectFieldError(name.body, 'f-username', 'Use 3 to 30 letters, digits, underscores (_) or dots (.)')
    const common = await browser.post('/settings/password', {
      current_password: PASSWORD,
      new_password: 'password1',
    })
    expect(common.statusCode).toBe(422)
    expectFieldError(common.body, 'f-new_password', 'This password is too common: choose another')
  })

  it('an upload that is no image, or no file, is beside the file field', async () => {
    const browser = await browserFor(app, await registerUser(app))
    await browser.get('/settings')
    const text = await uploadAvatar(browser, { data: 'not an image', filename: 'a.png', type: 'image/png' })
    expect(text.statusCode).toBe(422)
    expectFieldError(text.body, 'f-avatar', 'The file is not a JPEG, PNG or WebP image')
    await browser.get('/settings')
    const none = await uploadAvatar(browser)
    expect(none.statusCode).toBe(422)
    expectFieldError(none.body, 'f-avatar', 'Choose an image file to upload.')
  })

  it('an image over 5 MB is the settings page with the reason beside the file field, 413', async () => {
    const browser = await browserFor(app, await registerUser(app))
    await browser.get('/settings')
    const big = Buffer.concat([
      await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } })
        .png()
        .toBuffer(),
      Buffer.alloc(5 * 1024 * 1024 + 10),
    ])
    const res = await uploadAvatar(browser, { data: big, filename: 'big.png', type: 'image/png' })
    expect(res.statusCode).toBe(413)
    expect(res.body).toContain('<h1>Settings</h1>')
    expectFieldError(res.body, 'f-avatar', 'The image is larger than 5 MB')
    expectWellTied(res.body, 'too large')
    // The page still works: a small image afterwards is taken.
    const small = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toBuffer()
    const ok = await uploadAvatar(browser, { data: small, filename: 'a.png', type: 'image/png' })
    expect(ok.statusCode).toBe(303)
    // Shown from this site's own path, whatever host the visitor used (the CSP allows 'self' only); the API
    // keeps the absolute URL for its clients.
    const page = (await browser.get('/settings')).body
    const src = /<img class="avatar" src="([^"]+)"/.exec(page)?.[1]
    expect(src).toMatch(/^\/media\/avatars\/[\w-]+\.webp$/)
    expect((await app.inject({ url: src! })).statusCode).toBe(200)
  })
})

describe('sessions in settings', () => {
  const FIREFOX_ANDROID = 'Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0'
  const CHROME_WINDOWS =
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

  /** A browser signed in through the login form, sending `userAgent` with it. */
  async function signedIn(who: TestUser, userAgent: string): Promise<Browser> {
    const browser = new Browser(app)
    await browser.get('/login')
    const res = await browser.post(
      '/login',
      { email: who.email, password: who.password },
      { 'user-agent': userAgent },
    )
    expect(res.statusCode).toBe(303)
    return browser
  }
  /** The action of the "Log out" form of the session named `device` on a settings page. */
  const endAction = (html: string, device: string) => {
    const row = html.slice(html.indexOf(device))
    return /action="(\/settings\/sessions\/[0-9a-f-]{36}\/end)"/.exec(row.slice(0, row.indexOf('</li>')))?.[1]
  }

  it('names each session by its device, and logs out one of them at once, tokens included', async () => {
    const me = await registerUser(app) // an API session, from a client that is not a browser
    const api = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': 'curl/8.5.0' },
      payload: { email: me.email, password: me.password },
    })
    const token = { authorization: `Bearer ${api.json().access_token}` }
    const desk = await signedIn(me, CHROME_WINDOWS)
    const phone = await signedIn(me, FIREFOX_ANDROID)

    const page = await desk.get('/settings')
    // This browser's session comes first, though the phone's is newer.
    const rows = page.body.slice(page.body.indexOf('<ul class="sessions">'))
    expect(rows.slice(0, rows.indexOf('</li>'))).toContain('Chrome on Windows')
    expect(page.body).toContain('Firefox on Android · signed in')
    expect(page.body).toContain('curl/8.5.0 · signed in')
    // This browser's own row says so, and has no button: the header's "Log out" is for it.
    const own = page.body.slice(page.body.indexOf('Chrome on Windows'))
    expect(own.slice(0, own.indexOf('</li>'))).toContain('(this browser)')
    expect(endAction(page.body, 'Chrome on Windows')).toBeUndefined()

    const phoneEnd = endAction(page.body, 'Firefox on Android')!
    const ended = await desk.post(phoneEnd)
    expect(ended.statusCode).toBe(303)
    expect(ended.headers.location).toBe('/settings')
    const after = await desk.get('/settings')
    expect(after.body).toContain('That session is logged out.')
    expect(after.body).not.toContain('Firefox on Android')
    // The phone is signed out on its next request; the desk is not.
    expect((await phone.get('/settings')).statusCode).toBe(303)
    expect(after.statusCode).toBe(200)
    // Again: nothing left to end.
    await desk.post(phoneEnd)
    expect((await desk.get('/settings')).body).toContain('That session had already ended.')

    // The API client's session: its access token stops working at once.
    expect((await app.inject({ url: '/api/v1/users/me', headers: token })).statusCode).toBe(200)
    await desk.post(endAction(after.body, 'curl/8.5.0')!)
    const refused = await app.inject({ url: '/api/v1/users/me', headers: token })
    expect(refused.statusCode).toBe(401)
  })

  it('says when each other session was last used: a page request, an API refresh, else its start', async () => {
    const me = await registerUser(app)
    const api = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': 'curl/8.5.0' },
      payload: { email: me.email, password: me.password },
    })
    const phone = await signedIn(me, FIREFOX_ANDROID)
    const desk = await signedIn(me, CHROME_WINDOWS)
    // Both other sessions started three hours ago and were not used since.
    const started = new Date(Date.now() - 3 * 3600_000)
    started.setUTCSeconds(0, 0)
    await app.ctx.db
      .update(sessions)
      .set({ createdAt: started, lastUsedAt: null })
      .where(and(eq(sessions.userId, me.id), sql`${sessions.userAgent} not like '%Windows%'`))
    const rowOf = (html: string, device: string) => {
      const row = html.slice(html.indexOf(device))
      return row.slice(0, row.indexOf('</li>'))
    }
    const before = (await desk.get('/settings')).body
    expect(rowOf(before, 'Firefox on Android')).toContain(
      `Firefox on Android · signed in ${when(started)}</span><span> · last used ${when(started)}</span>`,
    )
    expect(rowOf(before, 'curl/8.5.0')).toContain(`· last used ${when(started)}`)
    // This browser's own row says "(this browser)", not when it was used.
    expect(rowOf(before, 'Chrome on Windows')).not.toContain('last used')

    // The phone opens a page: its session is used now, and comes first among the others.
    expect((await phone.get('/')).statusCode).toBe(200)
    const after = (await desk.get('/settings')).body
    expect(rowOf(after, 'Firefox on Android')).toContain('· used in the last 5 minutes')
    expect(after.indexOf('Firefox on Android')).toBeLessThan(after.indexOf('curl/8.5.0'))
    // The API client refreshes its tokens: its session is used now, and comes first.
    const refreshed = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: api.json().refresh_token },
    })
    expect(refreshed.statusCode).toBe(200)
    const latest = (await desk.get('/settings')).body
    expect(rowOf(latest, 'curl/8.5.0')).toContain('· used in the last 5 minutes')
    expect(latest.indexOf('curl/8.5.0')).toBeLessThan(latest.indexOf('Firefox on Android'))
  })

  it('writes a session’s use once per five minutes, not on every page', async () => {
    const me = await registerUser(app)
    const phone = await signedIn(me, FIREFOX_ANDROID)
    const lastUsed = async () => {
      const [row] = await app.ctx.db
        .select({ at: sessions.lastUsedAt })
        .from(sessions)
        .where(and(eq(sessions.userId, me.id), like(sessions.userAgent, '%Android%')))
      return row!.at
    }
    const fourMinutesAgo = new Date(Date.now() - 4 * 60_000)
    await app.ctx.db.update(sessions).set({ lastUsedAt: fourMinutesAgo }).where(eq(sessions.userId, me.id))
    await phone.get('/')
    expect(await lastUsed()).toEqual(fourMinutesAgo)
    const sixMinutesAgo = new Date(Date.now() - 6 * 60_000)
    await app.ctx.db.update(sessions).set({ lastUsedAt: sixMinutesAgo }).where(eq(sessions.userId, me.id))
    await phone.get('/')
    expect((await lastUsed())!.getTime()).toBeGreaterThan(Date.now() - 60_000)
  })

  // One connection (the embedded database) is the whole database: read-only there, every write is refused.
  it.skipIf(process.env.TEST_DATABASE_URL)(
    'serves the page when the database refuses the write of a session’s use',
    async () => {
      const me = await registerUser(app)
      const phone = await signedIn(me, FIREFOX_ANDROID)
      const stale = new Date(Date.now() - 10 * 60_000)
      await app.ctx.db.update(sessions).set({ lastUsedAt: stale }).where(eq(sessions.userId, me.id))
      await app.ctx.db.execute(sql`set default_transaction_read_only = on`)
      try {
        const page = await phone.get('/')
        expect(page.statusCode).toBe(200)
        expect(page.body).toContain('Log out')
      } finally {
        await app.ctx.db.execute(sql`set default_transaction_read_only = off`)
      }
      const [row] = await app.ctx.db
        .select({ at: sessions.lastUsedAt })
        .from(sessions)
        .where(and(eq(sessions.userId, me.id), like(sessions.userAgent, '%Android%')))
      expect(row!.at).toEqual(stale)
      // Writable again: the next page writes it.
      await phone.get('/')
      const [after] = await app.ctx.db
        .select({ at: sessions.lastUsedAt })
        .from(sessions)
        .where(and(eq(sessions.userId, me.id), like(sessions.userAgent, '%Android%')))
      expect(after!.at!.getTime()).toBeGreaterThan(Date.now() - 60_000)
    },
  )

  it('does not end another member’s session, and ends its own as a log-out', async () => {
    const me = await registerUser(app)
    const other = await registerUser(app)
    const mine = await signedIn(me, CHROME_WINDOWS)
    const theirs = await signedIn(other, FIREFOX_ANDROID)
    await signedIn(other, CHROME_WINDOWS) // so their page lists the Firefox one with its form
    const theirPage = await (await signedIn(other, 'curl/8.5.0')).get('/settings')
    const theirEnd = endAction(theirPage.body, 'Firefox on Android')!
    await mine.get('/settings')
    const tried = await mine.post(theirEnd)
    expect(tried.statusCode).toBe(303)
    expect((await mine.get('/settings')).body).toContain('That session had already ended.')
    expect((await theirs.get('/settings')).statusCode).toBe(200)

    // A hand-made post for this browser's own session is a log-out.
    const [own] = await app.ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(
        and(eq(sessions.userId, me.id), isNull(sessions.revokedAt), like(sessions.userAgent, '%Windows%')),
      )
    const ownId = own!.id
    const out = await mine.post(`/settings/sessions/${ownId}/end`)
    expect(out.headers.location).toBe('/login')
    expect((await mine.get('/settings')).statusCode).toBe(303)

    // Not a session id: refused as a request, never a 500.
    const odd = await signedIn(me, CHROME_WINDOWS)
    await odd.get('/settings')
    const bad = await odd.post('/settings/sessions/not-a-session/end')
    expect(bad.statusCode).toBeGreaterThanOrEqual(400)
    expect(bad.statusCode).toBeLessThan(500)
  })
})
