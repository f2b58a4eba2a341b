// The event page's scripts (the seat map and live availability) are external files under the CSP, and the page
// carries what they read; without them the page is complete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GENERAL_AND_VIP, makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'
import { browserFor } from './browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app)
})
afterAll(() => app.close())

const scriptsOf = (html: string) => [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!)

describe('the event page enhancements', () => {
  it('links availability.js (anyone) and seatmap.js (with a seat map), served as scripts under the CSP', async () => {
    const standing = await makeEvent(app, organizer)
    const noMap = await app.inject({ url: `/events/${standing.id}`, headers: { accept: 'text/html' } })
    expect(scriptsOf(noMap.body)).toEqual([expect.stringMatching(/^\/assets\/availability\.[\w-]+\.js$/)])
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const anonymous = await app.inject({ url: `/events/${event.id}`, headers: { accept: 'text/html' } })
    // A guest gets the seat map too (its choice is kept through the login).
    expect(scriptsOf(anonymous.body)).toEqual([
      expect.stringMatching(/^\/assets\/availability\.[\w-]+\.js$/),
      expect.stringMatching(/^\/assets\/seatmap\.[\w-]+\.js$/),
    ])
    expect(anonymous.body).toContain(`data-availability-event="${event.id}"`)
    expect(anonymous.body).toContain(`data-availability="${event.sections[0].id}" data-few="10"`)
    expect(anonymous.body).toContain('id="availability-announce"')
    const csp = String(anonymous.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).toContain("connect-src 'self'")

    const browser = await browserFor(app, await registerUser(app))
    const page = await browser.get(`/events/${event.id}`)
    const scripts = scriptsOf(page.body)
    expect(scripts).toHaveLength(2)
    expect(scripts[1]).toMatch(/^\/assets\/seatmap\.[\w-]+\.js$/)
    for (const url of scripts) {
      const asset = await app.inject({ url })
      expect(asset.statusCode).toBe(200)
      expect(asset.headers['content-type']).toMatch(/^text\/javascript/)
      expect(asset.headers['cache-control']).toContain('immutable')
    }
    // The seat map's fields are there without the script: one checkbox per seat with its full name.
    expect(page.body).toContain('class="seat-map" data-section=')
    expect(page.body).toMatch(/aria-label="Row A, seat 1, available, A\$299\.00"/)
  })

  it('every page links the site icon, served as SVG and cached for good', async () => {
    const home = await app.inject({ url: '/', headers: { accept: 'text/html' } })
    const icon = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml"/.exec(home.body)?.[1]
    expect(icon).toMatch(/^\/assets\/favicon\.[\w-]+\.svg$/)
    const res = await app.inject({ url: icon! })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('image/svg+xml')
    expect(res.headers['cache-control']).toContain('immutable')
    expect(res.body).toContain('<svg')
  })

  it('adds no script to a page with nothing on sale', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const page = await (await browserFor(app, organizer)).get(`/events/${draft.id}`)
    expect(page.statusCode).toBe(200)
    expect(scriptsOf(page.body)).toEqual([])
  })
})
