// The embedded default (no SMTP_URL): every message lands as an .eml file under DATA_DIR/mail.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, registerUser } from '../helpers.js'
import { parseMail, tokenFrom, waitUntil } from './inbox.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp({ WORKERS_IN_PROCESS: 'true' })
})
afterAll(() => app?.close())

function droppedMail() {
  const dir = join(app.config.DATA_DIR, 'mail')
  let files: string[] = []
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.eml'))
  } catch {}
  return files.map((f) => ({ file: f, ...parseMail(readFileSync(join(dir, f), 'utf8')) }))
}

describe('mail without SMTP_URL', () => {
  it('writes the welcome message as an .eml file whose link verifies the address', async () => {
    const user = await registerUser(app, { display_name: 'Ada <b>Lovelace</b> & Co' })
    const mail = await waitUntil(async () =>
      droppedMail().find((m) => m.text.includes('/verify-email?token=')),
    )
    expect(mail.file).toMatch(/^[0-9a-f-]{36}\.eml$/)
    expect(mail.subject).toBe('Welcome to Stagedoor: confirm your address')
    // The HTML escapes what people typed; the plain text shows it as typed.
    expect(mail.html).toContain('Hi Ada &lt;b&gt;Lovelace&lt;/b&gt; &amp; Co,')
    expect(mail.text).toContain('Hi Ada <b>Lovelace</b> & Co,')
    const verify = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/email/verify',
      payload: { token: tokenFrom(mail, '/verify-email') },
    })
    expect(verify.statusCode).toBe(204)
    const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: user.auth })
    expect(me.json().email_verified).toBe(true)
  })
})
