import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueUserToken, type UserTokenPurpose } from '../../src/modules/auth/user-tokens.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, PASSWORD, registerUser, uniqueName } from '../helpers.js'
import { Browser, browserFor } from './browser.js'

/** A live link of the kind the worker mails (the mail tests read them out of real messages). */
const mailedLink = (user: { id: number; email: string }, purpose: UserTokenPurpose) =>
  issueUserToken(app.ctx.db, { userId: user.id, purpose, email: user.email, ttlSeconds: 600 })

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

describe('foundations', () => {
  it('serves pages with a CSP without unsafe-inline scripts and frame-ancestors none', async () => {
    const res = await new Browser(app).get('/login')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    const csp = String(res.headers['content-security-policy'])
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(res.body).toContain('<main id="main"')
    expect(res.body).toContain('href="#main"')
  })

  it('answers an unknown path with an HTML 404 for browsers and problem+json otherwise', async () => {
    const html = await app.inject({ url: '/no/such/page', headers: { accept: 'text/html,*/*' } })
    expect(html.statusCode).toBe(404)
    expect(html.headers['content-type']).toMatch(/^text\/html/)
    expect(html.body).toContain('Page not found')
    expect(html.headers['content-security-policy']).toContain("frame-ancestors 'none'")
    const json = await app.inject({ url: '/no/such/page', headers: { accept: 'application/json' } })
    expect(json.statusCode).toBe(404)
    expect(json.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it("answers a visit to a form's address with an HTML 405 page for browsers, problem+json otherwise", async () => {
    for (const url of ['/logout', '/settings/profile', '/invoices/1/pay']) {
      const html = await app.inject({ url, headers: { accept: 'text/html,*/*' } })
      expect(html.statusCode, url).toBe(405)
      expect(html.headers['content-type']).toMatch(/^text\/html/)
      expect(html.headers.allow).toBe('POST')
      expect(html.body).toContain('Not a page')
      expect(html.body).toContain('not a page to open')
      const json = await app.inject({ url, headers: { accept: 'application/json' } })
      expect(json.statusCode).toBe(405)
      expect(json.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
    // The API's addresses answer problem+json to any client.
    const api = await app.inject({ url: '/api/v1/auth/login', headers: { accept: 'text/html' } })
    expect(api.statusCode).toBe(405)
    expect(api.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('serves the stylesheet under a hashed name with a year of caching', async () => {
    const page = await new Browser(app).get('/login')
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(page.body)?.[1]
    expect(href).toMatch(/^\/assets\/site\.[\w-]{12}\.css$/)
    const css = await app.inject({ url: href!, headers: { 'accept-encoding': 'gzip' } })
    expect(css.statusCode).toBe(200)
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(css.headers['content-encoding']).toBe('gzip')
  })

  it('refuses a form post without a CSRF token with 403', async () => {
    const browser = new Browser(app)
    await browser.get('/login')
    const res = await browser.post('/login', { _csrf: null, email: 'x@example.com', password: 'whatever1' })
    expect(res.statusCode).toBe(403)
    expect(res.headers['content-type']).toMatch(/^text\/html/)
    const forged = await browser.post('/login', { _csrf: 'forged', email: 'x@example.com', password: 'x' })
    expect(forged.statusCode).toBe(403)
  })

  it("binds the token to the session: another visit's token and secret cookie do not pass with someone's session", async () => {
    const victim = await browserFor(app, await registerUser(app))
    const ownToken = victim.csrf
    // An anonymous visit's pair (what could be planted from a sibling site), sent with the victim's session.
    const attacker = new Browser(app)
    await attacker.get('/login')
    const tossed = new Browser(app)
    tossed.cookies.set('sd_session', victim.cookies.get('sd_session')!)
    tossed.cookies.set('sd_csrf', attacker.cookies.get('sd_csrf')!)
    const forged = await tossed.post('/settings/profile', {
      _csrf: attacker.csrf!,
      display_name: 'Planted',
      username: 'planted_name',
      bio: '',
    })
    expect(forged.statusCode).toBe(403)
    // Another member's own session pair does not pass either.
    const other = await browserFor(app, await registerUser(app))
    tossed.cookies.set('sd_csrf', other.cookies.get('sd_csrf')!)
    expect(
      (await tossed.post('/settings/profile', { _csrf: other.csrf!, display_name: 'Planted', username: 'x' }))
        .statusCode,
    ).toBe(403)
    // A token shown before logging in does not pass once logged in (the page after the login has a new one).
    const before = new Browser(app)
    await before.get('/login')
    const anonymousToken = before.csrf!
    const me = await registerUser(app)
    await before.post('/login', { email: me.email, password: me.password })
    const stale = await before.post('/logout', { _csrf: anonymousToken })
    expect(stale.statusCode).toBe(403)
    // The victim's own token still works: the control that the form itself is right.
    const own = await victim.post('/settings/profile', {
      _csrf: ownToken!,
      display_name: 'Mine',
      username: uniqueName('own'),
      bio: '',
    })
    expect(own.statusCode).toBe(303)
  })

  it('says why a form from before a login or logout was refused, and sends on the forms that would change nothing', async () => {
    const me = await registerUser(app)
    // Two tabs of one browser: the second's forms were shown before the first logged out.
    const tab = await browserFor(app, me)
    const staleToken = tab.csrf!
    const out = await tab.post('/logout')
    expect(out.statusCode).toBe(303)
    const form = await tab.post('/settings/profile', { _csrf: staleToken, display_name: 'X', username: 'x' })
    expect(form.statusCode).toBe(403)
    expect(form.body).toContain('You are not logged in (any more)')
    expect(form.body).toMatch(/<a href="\/login\?next=[^"]*">Log in<\/a>/)
    // The other tab's "Log out": nothing to do, so it goes home rather than to a refusal.
    const again = await tab.post('/logout', { _csrf: staleToken })
    expect(again.statusCode).toBe(303)
    expect(again.headers.location).toBe('/')
    // Two login pages: the first logs in, the second (its token shown to no session) sends the person on.
    const second = new Browser(app)
    await second.get(`/login?next=${encodeURIComponent('/tickets')}`)
    const loginToken = second.csrf!
    await second.post(`/login?next=${encodeURIComponent('/tickets')}`, {
      email: me.email,
      password: me.password,
    })
    const twice = await second.post(`/login?next=${encodeURIComponent('/tickets')}`, {
      _csrf: loginToken,
      email: me.email,
      password: me.password,
    })
    expect(twice.statusCode).toBe(303)
    expect(twice.headers.location).toBe('/tickets')
    // Logged in, a form shown before the login is refused with words for it.
    const stale = await second.post('/settings/profile', {
      _csrf: loginToken,
      display_name: 'X',
      username: 'x',
    })
    expect(stale.statusCode).toBe(403)
    expect(stale.body).toContain('This form was shown before you logged in or out')
  })

  it("carries the login's next into the header's Sign up link", async () => {
    const next = '/events/1?quantity=2#reserve'
    const page = await new Browser(app).get(`/login?next=${encodeURIComponent(next)}`)
    expect(page.body).toContain(`<a href="/register?next=${encodeURIComponent(next)}">Sign up</a>`)
    expect((await new Browser(app).get('/')).body).toContain('<a href="/register">Sign up</a>')
  })

  it('keeps the API away from form bodies', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a&password=b',
    })
    expect(res.statusCode).toBe(415)
  })
})

describe('sign-in pages', () => {
  it('registers through the form, with a session cookie that is HttpOnly and SameSite=Lax', async () => {
    const browser = new Browser(app)
    await browser.get('/register')
    const username = uniqueName('web')
    const res = await browser.post('/register', {
      email: `${username}@example.com`,
      username,
      password: PASSWORD,
      display_name: '',
    })
    expect(res.statusCode).toBe(303)
    const cookie = res.cookies.find((c) => c.name === 'sd_session')
    expect(cookie?.httpOnly).toBe(true)
    expect(cookie?.sameSite).toBe('Lax')
    expect(cookie?.secure).toBeFalsy()
    const home = await browser.get('/')
    expect(home.body).toContain(username)
    expect(home.body).toContain('We sent you an e-mail')
  })

  it('shows field errors tied to their inputs', async () => {
    const browser = new Browser(app)
    await browser.get('/register')
    const taken = await registerUser(app)
    const res = await browser.post('/register', {
      email: taken.email,
      username: uniqueName(),
      password: PASSWORD,
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('aria-describedby="f-email-error"')
    expect(res.body).toContain('That email address is taken')
  })

  it('refuses wrong credentials on the form', async () => {
    const user = await registerUser(app)
    const browser = new Browser(app)
    await browser.get('/login')
    const res = await browser.post('/login', { email: user.email, password: 'wrong-password-1' })
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('password is wrong')
    expect(browser.cookies.has('sd_session')).toBe(false)
  })

  it('follows next= only to paths on this site', async () => {
    const user = await registerUser(app)
    for (const [next, expected] of [
      ['/friends', '/friends'],
      ['https://evil.example/', '/'],
      ['//evil.example/x', '/'],
      ['/\\evil.example', '/'],
      ['/%09/evil.example', '/%09/evil.example'],
    ] as const) {
      const browser = new Browser(app)
      await browser.get('/login')
      const res = await browser.post(`/login?next=${encodeURIComponent(next)}`, {
        email: user.email,
        password: user.password,
      })
      expect(res.statusCode).toBe(303)
      expect(res.headers.location).toBe(expected)
    }
  })

  it('logout revokes the session at once, even for a copy of the cookie', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    const copy = new Map(browser.cookies)
    expect((await browser.get('/')).body).toContain('Log out')
    const out = await browser.post('/logout')
    expect(out.statusCode).toBe(303)
    const replay = await app.inject({
      url: '/',
      headers: { accept: 'text/html', cookie: [...copy].map(([k, v]) => `${k}=${v}`).join('; ') },
    })
    expect(replay.body).not.toContain('Log out')
    expect(replay.body).toContain('Log in')
  })

  it('logout-all through the API ends the cookie session too', async () => {
    const user = await registerUser(app)
    const browser = await browserFor(app, user)
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: user.auth })
    expect(res.statusCode).toBe(204)
    expect((await browser.get('/')).body).not.toContain('Log out')
  })

  it('a form sent after the session ended returns to the page it came from once signed in again', async () => {
    const user = await registerUser(app)
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, user)
    const page = await browser.get(`/events/${event.id}`)
    // Pages send their address to their own origin only.
    expect(page.headers['referrer-policy']).toBe('same-origin')
    await app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: user.auth })
    const here = `http://localhost:80/events/${event.id}?again=1`
    const sent = await browser.post(
      `/events/${event.id}/reserve`,
      { section_id: String(event.sections[0].id) },
      { referer: here },
    )
    expect(sent.statusCode).toBe(303)
    expect(sent.headers.location).toBe(`/login?next=${encodeURIComponent(`/events/${event.id}?again=1`)}`)
    // Another site's address, or none, is not followed.
    for (const referer of ['https://evil.example/events/1', '']) {
      const elsewhere = await browser.post(`/events/${event.id}/reserve`, {}, referer ? { referer } : {})
      expect(elsewhere.headers.location).toBe('/login?next=%2F')
    }
  })

  it('verify-email: the GET changes nothing, the button confirms, and a used link says so when opened', async () => {
    const user = await registerUser(app)
    const token = await mailedLink(user, 'verify_email')
    const browser = new Browser(app)
    for (let i = 0; i < 2; i++) {
      const page = await browser.get(`/verify-email?token=${token}`)
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain('Confirm my address')
    }
    const before = await app.inject({ url: '/api/v1/users/me', headers: user.auth })
    expect(before.json().email_verified).toBe(false)
    const res = await browser.post('/verify-email', { token })
    expect(res.statusCode).toBe(303)
    const after = await app.inject({ url: '/api/v1/users/me', headers: user.auth })
    expect(after.json().email_verified).toBe(true)

    // The used link, opened again: no button that can only fail, and the way to a new link.
    const used = await browser.get(`/verify-email?token=${token}`)
    expect(used.statusCode).toBe(200)
    expect(used.body).toContain('This link has expired or was already used.')
    expect(used.body).not.toContain('action="/verify-email"')
    expect(used.body).toContain(`href="/login?next=${encodeURIComponent('/settings')}"`)
    const owner = await browserFor(app, user)
    expect((await owner.get(`/verify-email?token=${token}`)).body).toContain(
      'Your address is confirmed already',
    )
    const forged = await browser.post('/verify-email', { token: 'abc' })
    expect(forged.statusCode).toBe(422)
    expect(forged.body).toContain('expired or was already used')
  })

  it('reset-password: a dead link says so when opened, before a new password is typed', async () => {
    const user = await registerUser(app)
    const token = await mailedLink(user, 'reset_password')
    const browser = new Browser(app)
    const live = await browser.get(`/reset-password?token=${token}`)
    expect(live.statusCode).toBe(200)
    expect(live.body).toContain('action="/reset-password"')
    expect(live.body).not.toContain('expired or was already used')

    for (const dead of ['x', '', 'a'.repeat(600)]) {
      const page = await browser.get(`/reset-password?token=${dead}`)
      expect(page.statusCode, dead).toBe(200)
      expect(page.body).toContain('This link has expired or was already used.')
      expect(page.body).not.toContain('action="/reset-password"')
      expect(page.body).toContain('href="/forgot-password"')
    }

    expect((await browser.post('/reset-password', { token, password: 'a-new-password-9' })).statusCode).toBe(
      303,
    )
    const used = await browser.get(`/reset-password?token=${token}`)
    expect(used.body).toContain('This link has expired or was already used.')
    // Opening a live link used nothing up: it set the password once, and only once.
    const again = await browser.post('/reset-password', { token, password: 'another-password-9' })
    expect(again.statusCode).toBe(422)
    // Sent from a tab opened before the link was used: the dead link's page, not the form again.
    expect(again.body).toContain('This link has expired or was already used.')
    expect(again.body).not.toContain('action="/reset-password"')
    expect(again.body).toContain('href="/forgot-password"')
  })

  it('a refused confirmation shows its message to that browser only, not on anyone’s next sign-in page', async () => {
    const user = await registerUser(app)
    const live = `/verify-email?token=${await mailedLink(user, 'verify_email')}`
    const browser = new Browser(app)
    await browser.get(live)
    // A blank token fails the form's own check (before, its errors were the pages' shared "no errors", and the
    // message was written into it: every later sign-in, sign-up and reset page showed it, until a restart).
    const blank = await browser.post('/verify-email', { token: '' })
    expect(blank.statusCode).toBe(422)
    expect(blank.body).toContain('expired or was already used')
    for (const path of ['/login', '/register', '/forgot-password', live]) {
      expect((await new Browser(app).get(path)).body, path).not.toContain('expired or was already used')
    }
  })
})

describe('rate limits', () => {
  // With TEST_REDIS_URL the counters live in Redis and outlive the run: every run uses its own IPs and accounts.
  const run = Math.floor(Math.random() * 250)
  const ip = (n: number) => `10.${run}.${n}.2`

  it('the login form shares the API login limits, per account and per IP', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '3' })
    try {
      const email = `${uniqueName('rl')}-${run}@example.com`
      const apiLogin = (address: string, who = email) =>
        limited.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: who, password: 'wrong-password-1' },
          remoteAddress: address,
        })
      // Three failed API logins for one account from one client (the per-account limit is keyed on account and
      // client together): the form from that client is refused for that account.
      for (let i = 0; i < 3; i++) expect((await apiLogin(ip(20))).statusCode).toBe(401)
      const browser = new Browser(limited, ip(20))
      await browser.get('/login')
      const res = await browser.post('/login', { email, password: 'wrong-password-1' })
      expect(res.statusCode).toBe(429)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.headers['retry-after']).toBeTruthy()

      // Three API logins from one IP, for other accounts: the form from that IP is refused too.
      for (let i = 0; i < 3; i++) await apiLogin(ip(30), `other-${run}-${i}@example.com`)
      const sameIp = new Browser(limited, ip(30))
      await sameIp.get('/login')
      const refused = await sameIp.post('/login', {
        email: `fresh-${run}@example.com`,
        password: 'x-password-1',
      })
      expect(refused.statusCode).toBe(429)
      expect(sameIp.cookies.has('sd_session')).toBe(false)
    } finally {
      await limited.close()
    }
  })

  it('the sign-up, forgotten-password and reset forms come back with what was typed when the limit refuses them', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '2' })
    try {
      // Two API asks from one client use up its per-IP allowance on every auth form.
      for (let i = 0; i < 2; i++) {
        await limited.inject({
          method: 'POST',
          url: '/api/v1/auth/password/forgot',
          payload: { email: `nobody-${run}-${i}@example.com` },
          remoteAddress: ip(40),
        })
      }
      // An account on the limited app, from a client of its own.
      const registered = await limited.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: `reset-${run}@example.com`, username: `reset_${run}`, password: PASSWORD },
        remoteAddress: ip(41),
      })
      expect(registered.statusCode).toBe(201)
      const { user, access_token } = registered.json()
      const token = await issueUserToken(limited.ctx.db, {
        userId: user.id,
        purpose: 'reset_password',
        email: user.email,
        ttlSeconds: 600,
      })
      const browser = new Browser(limited, ip(40))
      const refused = async (path: string, fields: Record<string, string>, kept: string[]) => {
        await browser.get(path === '/reset-password' ? `${path}?token=${token}` : path)
        const res = await browser.post(path, fields)
        expect(res.statusCode, path).toBe(429)
        expect(res.headers['content-type']).toMatch(/^text\/html/)
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
        expect(res.body).toMatch(/Too many attempts\. Wait \d+ seconds and try again\./)
        expect(res.body).toContain(`action="${path}"`)
        for (const value of kept) expect(res.body, `${path} keeps ${value}`).toContain(`value="${value}"`)
        expect(res.body).not.toContain('value="a-new-password-9"')
      }
      const username = `kept_${run}`
      await refused(
        '/register',
        {
          email: `kept-${run}@example.com`,
          username,
          display_name: 'Kept Name',
          password: 'a-new-password-9',
        },
        [`kept-${run}@example.com`, username, 'Kept Name'],
      )
      await refused('/forgot-password', { email: `kept-${run}@example.com` }, [`kept-${run}@example.com`])
      await refused('/reset-password', { token, password: 'a-new-password-9' }, [token])
      // Nothing was done: no account, and the reset link is still live.
      const taken = await limited.inject({
        url: `/api/v1/users?q=${username}`,
        headers: { authorization: `Bearer ${access_token}` },
      })
      expect(taken.statusCode).toBe(200)
      expect(taken.json().data).toEqual([])
      const reset = await limited.inject({
        method: 'POST',
        url: '/api/v1/auth/password/reset',
        payload: { token, password: 'a-new-password-9' },
        remoteAddress: ip(42),
      })
      expect(reset.statusCode).toBe(204)
    } finally {
      await limited.close()
    }
  })
})
