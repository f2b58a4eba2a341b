import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, PASSWORD, registerUser, uniqueName } from '../helpers.js'
import { Browser } from './browser.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const formAction = (html: string) => /<form method="post" action="([^"]+)"/.exec(html.split('<main')[1]!)?.[1]

describe('/register with ?next=', () => {
  it('carries next from the login page through the form, and returns there after signing up', async () => {
    const browser = new Browser(app)
    const login = await browser.get('/login?next=/events/1')
    expect(login.body).toContain('<a href="/register?next=%2Fevents%2F1">Create an account</a>')
    const page = await browser.get('/register?next=%2Fevents%2F1')
    expect(formAction(page.body)).toBe('/register?next=%2Fevents%2F1')
    expect(page.body).toContain('<a href="/login?next=%2Fevents%2F1">Log in</a>')
    const username = uniqueName('nx')
    const res = await browser.post('/register?next=%2Fevents%2F1', {
      email: `${username}@example.com`,
      username,
      password: PASSWORD,
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/events/1')
    expect(browser.cookies.has('sd_session')).toBe(true)
  })

  it('keeps next on a refused form, and a signed-in visitor goes straight there', async () => {
    const browser = new Browser(app)
    await browser.get('/register?next=/tickets')
    const refused = await browser.post('/register?next=%2Ftickets', {
      email: 'x',
      username: '',
      password: '',
    })
    expect(refused.statusCode).toBe(422)
    expect(formAction(refused.body)).toBe('/register?next=%2Ftickets')
    // The top of the form lists each reason, a link to its field (named as its label is).
    const summary = /<div class="error-summary" role="alert">(.*?)<\/div>/.exec(refused.body)?.[1] ?? ''
    expect(summary).toContain('<p>Nothing was saved: 3 fields need a change.</p>')
    expect([...summary.matchAll(/<a href="#(f-[a-z_]+)">(\w+):/g)].map((m) => [m[1], m[2]])).toEqual([
      ['f-email', 'Email'],
      ['f-username', 'Username'],
      ['f-password', 'Password'],
    ])
    const user = await registerUser(app)
    await browser.login(user)
    const again = await browser.get('/register?next=/tickets')
    expect(again.statusCode).toBe(303)
    expect(again.headers.location).toBe('/tickets')
  })

  it.each(['//evil.com', 'https://evil.com', '/\\evil.com'])('falls back to / for next=%s', async (next) => {
    const browser = new Browser(app)
    const login = await browser.get(`/login?next=${encodeURIComponent(next)}`)
    expect(login.body).toContain('<a href="/register">Create an account</a>')
    const page = await browser.get(`/register?next=${encodeURIComponent(next)}`)
    expect(formAction(page.body)).toBe('/register')
    const username = uniqueName('ev')
    const res = await browser.post(`/register?next=${encodeURIComponent(next)}`, {
      email: `${username}@example.com`,
      username,
      password: PASSWORD,
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/')
  })
})

describe('/register refusals in words for a person', () => {
  it('a common password and a malformed username are sentences beside their fields', async () => {
    const browser = new Browser(app)
    const page = await browser.get('/register')
    expect(page.body).toContain('Use 3 to 30 letters, digits, underscores (_) or dots (.).')
    const username = uniqueName('cp')
    const common = await browser.post('/register', {
      email: `${username}@example.com`,
      username,
      password: 'password1',
    })
    expect(common.statusCode).toBe(422)
    expect(common.body).toContain(
      '<small id="f-password-error" class="field-error">This password is too common: choose another</small>',
    )
    expect(common.body).not.toContain('10,000')
    const name = await browser.post('/register', {
      email: 'ab@example.com',
      username: 'a b',
      password: PASSWORD,
    })
    expect(name.statusCode).toBe(422)
    expect(name.body).toContain(
      '<small id="f-username-error" class="field-error">Use 3 to 30 letters, digits, underscores (_) or dots (.)</small>',
    )
    expect(name.body).not.toContain('expected form')
    // Said once beside the field (and once in the summary at the top, as a link to it): the error stands in for
    // the hint it repeats, and the field is described by the error alone.
    const form = name.body.replace(/<div class="error-summary".*?<\/div>/, '')
    expect(form.match(/Use 3 to 30 letters/g)).toHaveLength(1)
    expect(name.body).toContain('aria-describedby="f-username-error"')
    // An address typed but malformed is told what an address looks like, not to enter one.
    const address = await browser.post('/register', { email: 'not-an-email', username, password: PASSWORD })
    expect(address.body).toContain(
      '<small id="f-email-error" class="field-error">Enter an e-mail address, such as name@example.com</small>',
    )
  })

  it('a weak password, a taken address and a taken name are said together, not one attempt at a time', async () => {
    const existing = await registerUser(app)
    const browser = new Browser(app)
    await browser.get('/register')
    const res = await browser.post('/register', {
      email: existing.email.toUpperCase(),
      username: existing.username,
      password: 'password',
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).toContain('<small id="f-password-error" class="field-error">This password is too common')
    expect(res.body).toContain(
      '<small id="f-email-error" class="field-error">That email address is taken</small>',
    )
    expect(res.body).toContain(
      '<small id="f-username-error" class="field-error">That username is taken</small>',
    )
    // Both taken, the password fine: both said.
    const taken = await browser.post('/register', {
      email: existing.email,
      username: existing.username,
      password: 'a-fine-password-77',
    })
    expect(taken.body).toContain('That email address is taken')
    expect(taken.body).toContain('That username is taken')
    // A password refused by the form's own checks (too short): the taken address and name are said with it.
    const short = await browser.post('/register', {
      email: existing.email,
      username: existing.username,
      password: 'short',
    })
    expect(short.statusCode).toBe(422)
    expect(short.body).toContain('id="f-password-error"')
    expect(short.body).toContain('That email address is taken')
    expect(short.body).toContain('That username is taken')
    expect(short.body).toContain('Nothing was saved: 3 fields need a change.')
    // A name that fails its own check is not looked up (a NUL never reaches the database); the address still is.
    const odd = await browser.post('/register', {
      email: existing.email,
      username: `${existing.username}\u0000`,
      password: 'short',
    })
    expect(odd.statusCode).toBe(422)
    expect(odd.body).toContain('That email address is taken')
    expect(odd.body).not.toContain('That username is taken')
    expect(odd.body).toContain('id="f-username-error"')
  })

  it('the API keeps its code and words for a common password', async () => {
    const username = uniqueName('api')
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: `${username}@example.com`, username, password: 'password1' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({
      code: 'WEAK_PASSWORD',
      detail: 'password is one of the 10,000 most common passwords',
      errors: [{ path: 'body.password', message: 'is one of the 10,000 most common passwords' }],
    })
  })
})

describe('POST /login past the rate limit', () => {
  it('shows the login page with the reason and the typed username, 429 with Retry-After', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_AUTH_PER_MINUTE: '2' })
    try {
      const ip = `10.${Math.floor(Math.random() * 250)}.77.9`
      const browser = new Browser(limited, ip)
      await browser.get('/login?next=/tickets')
      for (let i = 0; i < 2; i++) {
        const res = await browser.post('/login?next=%2Ftickets', {
          email: 'someone_typed',
          password: 'wrong-1234',
        })
        expect(res.statusCode).toBe(422)
      }
      const res = await browser.post('/login?next=%2Ftickets', {
        email: 'someone_typed',
        password: 'wrong-1234',
      })
      expect(res.statusCode).toBe(429)
      expect(res.headers['retry-after']).toMatch(/^\d+$/)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.body).toContain('<h1>Log in</h1>')
      expect(formAction(res.body)).toBe('/login?next=%2Ftickets')
      expect(res.body).toMatch(/<input id="f-email" name="email" type="text" value="someone_typed"/)
      expect(res.body).toMatch(
        /<p class="form-error" role="alert">Too many attempts\. Wait \d+ seconds? and try again\.<\/p>/,
      )
      expect(res.body).toContain('name="_csrf"')
    } finally {
      await limited.close()
    }
  })
})
