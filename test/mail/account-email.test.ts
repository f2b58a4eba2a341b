// Verification and password reset end to end over real SMTP: the token comes out of the received message.
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userTokens } from '../../src/db/schema/index.js'
import { type App, buildTestApp, login, PASSWORD, problem, registerUser } from '../helpers.js'
import { mailSettled } from '../jobs/helpers.js'
import { type Inbox, startInbox, tokenFrom } from './inbox.js'

let app: App
let inbox: Inbox
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildTestApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

const to = (email: string) => (m: { to: string[] }) => m.to.includes(email)
const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers })

describe('POST /auth/email/verify', () => {
  it('registration mails a welcome with a link whose token verifies the address, once', async () => {
    const user = await registerUser(app)
    const [mail] = await inbox.waitFor(1, to(user.email))
    expect(mail!.subject).toBe('Welcome to Stagedoor: confirm your address')
    expect(mail!.messageId).toMatch(/^<[0-9a-f-]{36}\.verify-email@stagedoor\.test>$/)
    expect(mail!.html).toContain('http://stagedoor.test/verify-email?token=')
    const token = tokenFrom(mail!, '/verify-email')

    const before = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.auth })
    expect(before.json().email_verified).toBe(false)
    expect((await post('/auth/email/verify', { token })).statusCode).toBe(204)
    const after = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.auth })
    expect(after.json().email_verified).toBe(true)

    const again = await post('/auth/email/verify', { token })
    expect(again.statusCode).toBe(400)
    expect(problem(again).code).toBe('TOKEN_INVALID')
  })

  it('a forged token gets 400 TOKEN_INVALID; the token is stored only as a hash', async () => {
    const res = await post('/auth/email/verify', { token: 'not-a-real-token' })
    expect(res.statusCode).toBe(400)
    expect(problem(res)).toMatchObject({ status: 400, code: 'TOKEN_INVALID' })

    const user = await registerUser(app)
    const token = tokenFrom((await inbox.waitFor(1, to(user.email)))[0]!, '/verify-email')
    const rows = await app.ctx.db.select().from(userTokens).where(eq(userTokens.userId, user.id))
    expect(rows).toHaveLength(1)
    expect(rows[0]!.tokenHash).not.toContain(token)
    expect(JSON.stringify(rows)).not.toContain(token)
  })

  it('changing the address mails the new one; the old link no longer verifies anything', async () => {
    const user = await registerUser(app)
    const oldToken = tokenFrom((await inbox.waitFor(1, to(user.email)))[0]!, '/verify-email')
    const newEmail = `new_${user.email}`
    const patch = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.auth,
      payload: { email: newEmail },
    })
    expect(patch.statusCode).toBe(200)
    const [mail] = await inbox.waitFor(1, to(newEmail))
    expect(mail!.subject).toBe('Confirm your new e-mail address')

    expect(problem(await post('/auth/email/verify', { token: oldToken })).code).toBe('TOKEN_INVALID')
    expect((await post('/auth/email/verify', { token: tokenFrom(mail!, '/verify-email') })).statusCode).toBe(
      204,
    )
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.auth })
    expect(me.json()).toMatchObject({ email: newEmail, email_verified: true })
  })
})

describe('POST /auth/email/verify/resend', () => {
  const confirmMails = (email: string) => (m: { to: string[]; subject: string }) =>
    to(email)(m) && m.subject === 'Confirm your e-mail address'
  /** Moves the account's mailed links back in time, as if the cooldown had passed. */
  const coolDown = (userId: number) =>
    app.ctx.db
      .update(userTokens)
      .set({ createdAt: sql`created_at - interval '1 hour'` })
      .where(eq(userTokens.userId, userId))

  it('mails a new link that confirms the address: 429 within the cooldown, 409 once confirmed', async () => {
    const user = await registerUser(app)
    await inbox.waitFor(1, to(user.email))
    const resend = () => post('/auth/email/verify/resend', {}, user.auth)

    // The welcome link was mailed moments ago.
    const soon = await resend()
    expect(soon.statusCode).toBe(429)
    expect(problem(soon).code).toBe('RATE_LIMITED')
    const wait = Number(soon.headers['retry-after'])
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(60)
    expect(soon.json().detail).toContain(`ask again in ${wait} seconds`)
    // The RateLimit-* headers describe the limit that refused it, not the general one the request passed.
    expect(soon.headers).toMatchObject({
      'ratelimit-limit': '1',
      'ratelimit-remaining': '0',
      'ratelimit-reset': String(wait),
    })

    await coolDown(user.id)
    expect((await resend()).statusCode).toBe(202)
    const [mail] = await inbox.waitFor(1, confirmMails(user.email))
    expect(mail!.text).toContain('Here is a new link to confirm that this address is yours.')
    expect((await post('/auth/email/verify', { token: tokenFrom(mail!, '/verify-email') })).statusCode).toBe(
      204,
    )

    const done = await resend()
    expect(done.statusCode).toBe(409)
    expect(problem(done).code).toBe('EMAIL_ALREADY_VERIFIED')
    expect((await post('/auth/email/verify/resend', {})).statusCode).toBe(401)
  })

  it('asks sent together mail one link', async () => {
    const user = await registerUser(app)
    await inbox.waitFor(1, to(user.email))
    await coolDown(user.id)
    // Each ask is answered before the worker has minted the first link, so each may be 202: the worker mints
    // under the account's row lock, once per cooldown.
    const answers = await Promise.all(
      Array.from({ length: 4 }, () => post('/auth/email/verify/resend', {}, user.auth)),
    )
    for (const a of answers) expect([202, 429]).toContain(a.statusCode)
    expect(answers.some((a) => a.statusCode === 202)).toBe(true)
    await inbox.waitFor(1, confirmMails(user.email))
    await mailSettled(app)
    expect(inbox.messages.filter(confirmMails(user.email))).toHaveLength(1)
  })
})

describe('POST /auth/password/forgot and /auth/password/reset', () => {
  it('mails a reset link; the token sets a new password once and signs out every session', async () => {
    const user = await registerUser(app)
    const other = await login(app, user)
    const res = await post('/auth/password/forgot', { email: user.email.toUpperCase() })
    expect(res.statusCode).toBe(202)
    expect(res.body).toBe('')
    const [mail] = await inbox.waitFor(1, (m) => to(user.email)(m) && m.subject.includes('Reset'))
    expect(mail!.text).toContain('30 minutes')
    const token = tokenFrom(mail!, '/reset-password')

    const weak = await post('/auth/password/reset', { token, password: 'password' })
    expect(weak.statusCode).toBe(400)
    expect(problem(weak).code).toBe('WEAK_PASSWORD')

    const newPassword = 'Another-strong-Pass-2'
    expect((await post('/auth/password/reset', { token, password: newPassword })).statusCode).toBe(204)
    for (const session of [user, other]) {
      const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: session.auth })
      expect(me.statusCode).toBe(401)
      const refreshed = await post('/auth/refresh', { refresh_token: session.refreshToken })
      expect(refreshed.statusCode).toBe(401)
    }
    await expect(login(app, user)).rejects.toThrow(/401/)
    await login(app, { email: user.email, password: newPassword })

    const reused = await post('/auth/password/reset', { token, password: 'Yet-another-Pass-3' })
    expect(reused.statusCode).toBe(400)
    expect(problem(reused).code).toBe('TOKEN_INVALID')
  })

  it('an expired or forged token gets 400 TOKEN_INVALID', async () => {
    const user = await registerUser(app)
    await post('/auth/password/forgot', { email: user.email })
    const [mail] = await inbox.waitFor(1, (m) => to(user.email)(m) && m.subject.includes('Reset'))
    await app.ctx.db
      .update(userTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(userTokens.userId, user.id))
    const expired = await post('/auth/password/reset', {
      token: tokenFrom(mail!, '/reset-password'),
      password: 'Another-strong-Pass-2',
    })
    expect(expired.statusCode).toBe(400)
    expect(problem(expired).code).toBe('TOKEN_INVALID')
    const forged = await post('/auth/password/reset', {
      token: 'x'.repeat(43),
      password: 'Another-strong-Pass-2',
    })
    expect(problem(forged)).toMatchObject({ status: 400, code: 'TOKEN_INVALID' })
    await login(app, { email: user.email, password: PASSWORD })
  })

  it('an unknown address gets the same 202 and no message', async () => {
    const known = await registerUser(app)
    await inbox.waitFor(1, to(known.email))
    const unknown = await post('/auth/password/forgot', { email: 'nobody-here@example.com' })
    expect(unknown.statusCode).toBe(202)
    expect(unknown.body).toBe('')
    // A known address queued after it arrives; by then the unknown one has been handled and dropped.
    await post('/auth/password/forgot', { email: known.email })
    await inbox.waitFor(1, (m) => to(known.email)(m) && m.subject.includes('Reset'))
    await mailSettled(app)
    expect(inbox.messages.filter(to('nobody-here@example.com'))).toHaveLength(0)
  })

  it('validates bodies: a missing or malformed email is 400 VALIDATION_FAILED', async () => {
    expect(problem(await post('/auth/password/forgot', {})).code).toBe('VALIDATION_FAILED')
    expect(problem(await post('/auth/password/forgot', { email: 'nope' })).code).toBe('VALIDATION_FAILED')
    expect(problem(await post('/auth/password/reset', { token: 'x' })).code).toBe('VALIDATION_FAILED')
    expect(problem(await post('/auth/email/verify', {})).code).toBe('VALIDATION_FAILED')
  })
})

describe('account e-mail against a hostile user', () => {
  const resetMails = (email: string) => (m: { to: string[]; subject: string }) =>
    to(email)(m) && m.subject.includes('Reset')

  it('an address gets one reset e-mail per cooldown, however often it is asked for (every answer 202)', async () => {
    const user = await registerUser(app)
    for (let i = 0; i < 3; i++) {
      expect((await post('/auth/password/forgot', { email: user.email })).statusCode).toBe(202)
    }
    await inbox.waitFor(1, resetMails(user.email))
    await mailSettled(app)
    expect(inbox.messages.filter(resetMails(user.email))).toHaveLength(1)
  })

  it('changing the password voids a reset link mailed before', async () => {
    const user = await registerUser(app)
    await post('/auth/password/forgot', { email: user.email })
    const token = tokenFrom((await inbox.waitFor(1, resetMails(user.email)))[0]!, '/reset-password')
    const changed = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/password',
      headers: user.auth,
      payload: { current_password: PASSWORD, new_password: 'Changed-strong-Pass-4' },
    })
    expect(changed.statusCode).toBe(204)
    const reset = await post('/auth/password/reset', { token, password: 'Attacker-chosen-Pass-5' })
    expect(reset.statusCode).toBe(400)
    expect(problem(reset).code).toBe('TOKEN_INVALID')
    await login(app, { email: user.email, password: 'Changed-strong-Pass-4' })
  })

  it('changing the address tells the old address, naming the new one', async () => {
    const user = await registerUser(app)
    await inbox.waitFor(1, to(user.email))
    const newEmail = `moved_${user.email}`
    const patch = await app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: user.auth,
      payload: { email: newEmail },
    })
    expect(patch.statusCode).toBe(200)
    const [mail] = await inbox.waitFor(1, (m) => to(user.email)(m) && m.subject.includes('changed'))
    expect(mail!.subject).toBe('The e-mail address of your Stagedoor account changed')
    expect(mail!.text).toContain(newEmail)
  })
})
