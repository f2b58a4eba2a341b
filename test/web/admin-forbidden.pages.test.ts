// A member who opens /admin/users gets a 403 page that says whose page it is, not the words for a refused form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, registerAdmin, registerUser } from '../helpers.js'
import { browserFor } from './browser.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

describe('GET /admin/users', () => {
  it('a member: 403 "This page is for administrators", without the form wording', async () => {
    const browser = await browserFor(app, await registerUser(app))
    const res = await browser.get('/admin/users')
    expect(res.statusCode).toBe(403)
    expect(res.headers['content-type']).toContain('text/html')
    expect(res.body).toContain('<h1>Not allowed</h1>')
    expect(res.body).toContain('This page is for administrators.')
    expect(res.body).not.toContain('If you were filling in a form')
    expect(res.body).not.toContain('<table')
  })

  it('an admin still gets the list; a form sent without its token keeps the form wording', async () => {
    const admin = await registerAdmin(app)
    const browser = await browserFor(app, admin)
    expect((await browser.get('/admin/users')).statusCode).toBe(200)
    const noToken = await browser.post(`/admin/users/${admin.id}/role`, { _csrf: null, role: 'admin' })
    expect(noToken.statusCode).toBe(403)
    expect(noToken.body).toContain('This form was shown before you logged in or out, or it has expired')
  })
})
