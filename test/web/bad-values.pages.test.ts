// No value a form or a link can carry makes a page fail. Every page route is sent a NUL and a stray control
// character in every field any page's form has (and in the query string), as a browser or a script could send
// them, and values of the wrong shape (a day that does not exist, a number out of range, a field given twice): the
// answer is a page, a redirect or a refusal that says why, never a 500. The forms check their fields as their JSON
// routes do (the same formats), so a control character is the field's error, not a database error.
// And a form refused for one field left blank says why: every form of every page is sent as a browser sends it
// (each control's own value: the chosen option, the ticked boxes), its empty fields filled in with plausible
// values, then once with each field left blank in turn. (Before that check, the new-event form with everything
// right but a general section's capacity came back 422 with no reason shown anywhere.) After both sweeps, no page
// shows their refusals to a new visitor or member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { issueUserToken, type UserTokenPurpose } from '../../src/modules/auth/user-tokens.js'
import { reserveAs } from '../factories/boxoffice.js'
import { confirmedTicket } from '../factories/checkin.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, PASSWORD, registerAdmin, registerUser, type TestUser } from '../helpers.js'
import { Browser, browserFor } from './browser.js'

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
/**
 * A field's error or the form's, with words in it; or the top of a page that has no form left to show them in (the
 * event page's summary that only links to the reasons below does not count).
 */
const SHOWN_REASON = /class="(?:field-error|form-error|error-summary)"[^>]*>\s*[^<\s]/
/** The reasons a page shows: beside a field, above a form, or flashed after a redirect. */
const REASONS = /class="(?:field-error|form-error|error-summary|flash flash-error)"[^>]*>([^<]+)</g
const decoded = (html: string) =>
  html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
/**
 * The reasons on a page that are in the API's words, not a person's: one that starts in lower case (a fragment
 * after a field's path), names a field as the API does (`max_uses`, `body.`), or names a user or seat by its id.
 */
function inApiWords(html: string): string[] {
  return [...html.matchAll(REASONS)]
    .map((m) => decoded(m[1]!).trim())
    .filter(
      (r) => /^[a-z]/.test(r) || /\b[a-z]+_[a-z_]+\b|\bbody\.|\b(?:User|Seats?|Section|Event) \d+/.test(r),
    )
}
/**
 * A label that holds more than phrasing content (a `<p>`, a `<div>` …), as a refused field's reason once did: browsers
 * and axe accept it, HTML's content model does not. The label's first words name it.
 */
function blocksInLabels(html: string): string[] {
  return [...html.matchAll(/<label\b[^>]*>([\s\S]*?)<\/label>/g)]
    .filter((m) => /<(?:p|div|ul|ol|table|fieldset|section|h[1-6])\b/.test(m[1]!))
    .map((m) =>
      m[1]!
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 60),
    )
}
const SHAPES = ['2026-13-45', '0000-01-01', '-1', '1e400', '9'.repeat(25), 'x'.repeat(5000), 'NaN']

/** The control names of a form as a browser submits it: each with its value, several for a multiple choice. */
type Submission = [name: string, value: string][]

interface PageForm {
  page: string
  action: string
  fields: Submission
  /** Names a person fills in or chooses (not hidden, not the CSRF token). */
  visible: string[]
  /** A number field's values past its own bounds: one under its min, one over its max, the largest id a page reads. */
  beyond: [name: string, value: string][]
}

const attr = (tag: string, name: string) =>
  new RegExp(`\\s${name}="([^"]*)"`)
    .exec(tag)?.[1]
    ?.replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')

/** A plausible value for a field a page leaves empty, by its name and type. */
function plausible(name: string, type: string | undefined): string {
  if (name === 'current_password' || name === 'password') return PASSWORD
  if (name === 'new_password') return 'Another-test-Pass-2'
  if (name === 'price' || name === 'value' || name.endsWith('_cents') || name === 'amount') return '10'
  if (name === 'url') return 'https://hooks.example.com/stagedoor'
  if (name === 'code') return 'SPRING10'
  if (type === 'number') return '2'
  // An end after its start: an event's, a voucher's validity.
  if (type === 'datetime-local') return /^ends|until$/.test(name) ? '2031-05-01T22:30' : '2031-05-01T19:30'
  if (type === 'date') return '2031-05-01'
  if (type === 'email') return 'someone@example.com'
  return 'Plain words'
}

/** The POST forms of a page, as a browser would submit each one untouched (empty fields filled in). */
function formsOf(page: string, html: string): PageForm[] {
  const forms: PageForm[] = []
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const open = m[1]!
    if ((attr(open, 'method') ?? 'get').toLowerCase() !== 'post') continue
    const action = attr(open, 'action') ?? page
    const body = m[2]!
    const fields: Submission = []
    const visible = new Set<string>()
    const beyond: PageForm['beyond'] = []
    const controls =
      /<(input)\b([^>]*)>|<(select)\b([^>]*)>([\s\S]*?)<\/select>|<(textarea)\b([^>]*)>([\s\S]*?)<\/textarea>/g
    for (const c of body.matchAll(controls)) {
      const kind = c[1] ?? c[3] ?? c[6]
      const tag = c[2] ?? c[4] ?? c[7] ?? ''
      const inner = c[5] ?? c[8] ?? ''
      const name = attr(tag, 'name')
      if (!name || /\sdisabled[\s=>]/.test(` ${tag}`)) continue
      const type = kind === 'input' ? (attr(tag, 'type') ?? 'text') : kind
      if (type === 'submit' || type === 'button' || type === 'file') continue
      if (type === 'hidden') {
        fields.push([name, attr(tag, 'value') ?? ''])
        continue
      }
      visible.add(name)
      if (type === 'number') {
        const [min, max] = [attr(tag, 'min'), attr(tag, 'max')]
        if (min) beyond.push([name, String(Number(min) - 1)])
        if (max) beyond.push([name, String(Number(max) + 1)])
        beyond.push([name, '999999999'])
      }
      if (type === 'checkbox' || type === 'radio') {
        if (/\schecked[\s=>]/.test(` ${tag}`)) fields.push([name, attr(tag, 'value') ?? 'on'])
      } else if (type === 'select') {
        const options = [...inner.matchAll(/<option\b([^>]*)>([^<]*)/g)]
        const chosen = options.find((o) => /\sselected[\s=>]/.test(` ${o[1]}`)) ?? options[0]
        if (chosen) fields.push([name, attr(chosen[1]!, 'value') ?? chosen[2]!.trim()])
      } else {
        const given = type === 'textarea' ? inner : (attr(tag, 'value') ?? '')
        fields.push([name, given.trim() ? given : plausible(name, type)])
      }
    }
    // A browser sends no fragment (an action's #waitlist only brings the answer's page to that block).
    forms.push({
      page,
      action: action.replace(/&amp;/g, '&').replace(/#.*$/, ''),
      fields,
      visible: [...visible],
      beyond,
    })
  }
  return forms
}

/**
 * Sends every POST form of `pages` as `browser` finds them, once per visible field with that field left blank:
 * a 5xx or a 404 is a failure, a 422 without a reason shown is unexplained. Twice: what the first round made (a
 * voucher, say, when an optional field was left blank) brings forms of its own.
 */
async function blankEach(browser: Browser, pages: string[]) {
  const forms = new Map<string, PageForm>()
  const sent = new Set<string>()
  const unexplained: string[] = []
  const failures: string[] = []
  const apiWords: string[] = []
  const misnested: string[] = []
  const collect = async () => {
    for (const page of pages) {
      const res = await browser.get(page)
      if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/html')) continue
      for (const label of blocksInLabels(res.body)) misnested.push(`${page}: ${label}`)
      for (const form of formsOf(page, res.body)) {
        const key = `${form.action} ${form.visible.join(',')}`
        if (!forms.has(key)) forms.set(key, form)
      }
    }
  }
  const sendEach = async () => {
    for (const [key, form] of forms) {
      if (sent.has(key)) continue
      sent.add(key)
      // Each field blank in turn, then each number past its bounds (a hand-edited form: the browser keeps to them).
      const changes = [
        ...form.visible.map((name): [string, string, string] => [name, '', 'blank']),
        ...form.beyond.map(([name, value]): [string, string, string] => [name, value, value]),
      ]
      for (const [name, value, shown] of changes) {
        const fields: Record<string, string[]> = {}
        for (const [k, v] of form.fields) fields[k] = [...(fields[k] ?? []), k === name ? value : v]
        if (!(name in fields)) continue
        // Sent from its own page, for that page's CSRF token.
        await browser.get(form.page)
        const res = await browser.post(form.action, fields)
        const what = `${form.action} from ${form.page} with ${name} ${shown}`
        // A 404 would say the page is gone, not that a field is wrong.
        if (res.statusCode >= 500 || res.statusCode === 404) failures.push(`${what}: ${res.statusCode}`)
        if (res.statusCode === 422 && !SHOWN_REASON.test(res.body)) unexplained.push(what)
        for (const label of blocksInLabels(res.body)) misnested.push(`${what}: ${label}`)
        // A refusal is in words for the person, beside its field or flashed on the page the form redirects to.
        const location = res.headers.location
        const seen = typeof location === 'string' ? (await browser.get(location)).body : res.body
        for (const reason of inApiWords(seen)) apiWords.push(`${what}: ${reason}`)
      }
    }
  }
  for (let round = 0; round < 2; round++) {
    await collect()
    await sendEach()
  }
  return { forms, failures, unexplained, apiWords, misnested: [...new Set(misnested)] }
}

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
  // First: the sweep below deletes and cancels what it can reach.
  it('every form refused for one blank field says why, beside the field or above the form', async () => {
    // The box office's forms show only with something to act on: a held reservation and its invoice, a paid
    // ticket (its transfer), and a sold-out event (its waiting list).
    const held = (await reserveAs(app, admin, eventId, { section_id: sectionId })).json()
    const ticket = await confirmedTicket(app, admin, { id: eventId, sections: [{ id: sectionId }] })
    const soldOut = await makeEvent(app, friend, { sections: [{ capacity: 1 }] })
    await confirmedTicket(app, friend, soldOut)
    const pages = app.routeInventory
      .filter(
        (r) =>
          r.method === 'GET' &&
          !['/api/', '/health', '/docs', '/openapi', '/assets', '/avatars'].some((p) => r.url.startsWith(p)),
      )
      .map((r) => filled(r.url, friend.id))
      .concat(
        `/reservations/${held.id}`,
        `/invoices/${held.invoices[0].id}`,
        `/tickets/${ticket.id}`,
        `/events/${soldOut.id}`,
      )
    const browser = await browserFor(app, admin)
    const { forms, failures, unexplained, apiWords, misnested } = await blankEach(browser, pages)
    // The sweep reaches the forms this bug class lives in.
    const actions = [...forms.values()].map((f) => f.action)
    expect(actions).toContain('/organizer/events/new')
    expect(actions).toContain(`/organizer/events/${eventId}/sections`)
    expect(actions).toContain('/settings/profile')
    for (const action of ['/pay', '/transfer', '/waitlist', '/extend']) {
      expect(
        actions.some((a) => a.endsWith(action)),
        action,
      ).toBe(true)
    }
    // The second round's: a voucher the first made, changed with a field blank.
    expect(actions.some((a) => new RegExp(`^/organizer/events/${eventId}/vouchers/\\d+$`).test(a))).toBe(true)
    expect(forms.size).toBeGreaterThan(35)

    // Every form was sent signed in: a blank field never completes signing out or deleting the account.
    expect((await browser.get('/settings')).statusCode).toBe(200)
    expect(failures).toEqual([])
    expect(unexplained).toEqual([])
    expect(apiWords).toEqual([])
    // A field's reason sits in its label as phrasing content, as every page's fields have it.
    expect(misnested).toEqual([])

    // And a visitor's forms: signing in and up, a forgotten password, a reset and an e-mail's confirmation.
    // The links are live ones, as mailed: a dead link's page has no form (it says the link is dead).
    const linked = await registerUser(app)
    const link = (purpose: UserTokenPurpose) =>
      issueUserToken(app.ctx.db, { userId: linked.id, purpose, email: linked.email, ttlSeconds: 600 })
    const visitor = await blankEach(new Browser(app), [
      '/login',
      '/register',
      '/forgot-password',
      `/reset-password?token=${await link('reset_password')}`,
      `/verify-email?token=${await link('verify_email')}`,
    ])
    expect([...visitor.forms.values()].map((f) => f.action)).toEqual(
      expect.arrayContaining(['/register', '/forgot-password', '/reset-password', '/verify-email']),
    )
    expect([...visitor.forms.values()].some((f) => f.action.startsWith('/login'))).toBe(true)
    expect(visitor.failures).toEqual([])
    expect(visitor.unexplained).toEqual([])
    expect(visitor.apiWords).toEqual([])
    expect(visitor.misnested).toEqual([])
  }, 120_000)

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
    const unexplained: string[] = []
    const apiWords: string[] = []
    const send = async (r: { method: string; url: string }, fields: Record<string, string>, what: string) => {
      const url = filled(r.url, spare.id)
      let res: Awaited<ReturnType<Browser['get']>>
      if (r.method === 'GET') {
        res = await browser.get(`${url}?${new URLSearchParams(fields)}`)
      } else {
        res = await browser.post(url, fields)
      }
      if (res.statusCode >= 500) failures.push(`${r.method} ${r.url} ${what}: ${res.statusCode}`)
      // A refused form comes back with its reason in words, beside a field or above the form.
      if (res.statusCode === 422 && !SHOWN_REASON.test(res.body))
        unexplained.push(`${r.method} ${r.url} ${what}`)
      for (const reason of inApiWords(res.body)) apiWords.push(`${r.method} ${r.url} ${what}: ${reason}`)
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
    expect(unexplained).toEqual([])
    expect(apiWords).toEqual([])
  }, 120_000)

  // After the sweeps above: a refusal is shown to the browser that was refused, and to nobody else. (A refused
  // e-mail confirmation once wrote its message into the sign-in pages' shared "no errors", and every later
  // visitor's sign-in page showed it.)
  it('after every refusal above, a new visitor and a new member see every page without an error', async () => {
    const gets = app.routeInventory.filter(
      (r) =>
        r.method === 'GET' && !['/api/', '/health', '/docs', '/openapi'].some((p) => r.url.startsWith(p)),
    )
    const member = await registerUser(app)
    // The mailed links' pages opened as mailed, with a live token: without one they rightly say it is dead.
    const linked: Record<string, UserTokenPurpose> = {
      '/reset-password': 'reset_password',
      '/verify-email': 'verify_email',
    }
    const address = async (url: string) => {
      const purpose = linked[url]
      if (!purpose) return filled(url, member.id)
      const token = await issueUserToken(app.ctx.db, {
        userId: member.id,
        purpose,
        email: member.email,
        ttlSeconds: 600,
      })
      return `${url}?token=${token}`
    }
    const shown: string[] = []
    for (const [who, viewer] of [
      ['visitor', new Browser(app)],
      ['member', await browserFor(app, member)],
    ] as const) {
      for (const r of gets) {
        const res = await viewer.get(await address(r.url))
        if (SHOWN_REASON.test(res.body)) shown.push(`${who} ${r.url}: ${SHOWN_REASON.exec(res.body)?.[0]}`)
      }
    }
    expect(gets.length).toBeGreaterThan(30)
    expect(shown).toEqual([])
  })

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
