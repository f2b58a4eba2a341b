// The check-in pages through app.inject(): the ticket page's QR and code, the organizer's staff page, and the
// door's form with its three results (green, amber, red), which works without JavaScript.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assetUrl } from '../../../src/web/assets.js'
import { codeOf, confirmedTicket } from '../../factories/checkin.js'
import { makeEvent } from '../../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { browserFor } from '../browser.js'

let app: App
let organizer: TestUser
let holder: TestUser
let door: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app, { display_name: 'Olga Organizer' })
  holder = await registerUser(app, { display_name: 'Hana Holder' })
  door = await registerUser(app, { display_name: 'Dora Door' })
})
afterAll(() => app.close())

describe('the ticket page', () => {
  it('when the holder opens a confirmed ticket, then it shows its QR image (with alt text) and its code; the image is theirs alone', async () => {
    const event = await makeEvent(app, organizer, { title: 'QR Night' })
    const ticket = await confirmedTicket(app, holder, event)
    const code = (await codeOf(app, holder, ticket.id))!
    const browser = await browserFor(app, holder)
    const page = await browser.get(`/tickets/${ticket.id}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain(`src="/tickets/${ticket.id}/qr.svg"`)
    expect(page.body).toMatch(/alt="Entry QR code for QR Night: General Admission"/)
    expect(page.body).toContain(`<code>${code}</code>`)
    const svg = await browser.get(`/tickets/${ticket.id}/qr.svg`)
    expect(svg.statusCode).toBe(200)
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/)
    const other = await browserFor(app, door)
    expect((await other.get(`/tickets/${ticket.id}/qr.svg`)).statusCode).toBe(404)
  })
})

describe('the staff page', () => {
  it('when the organizer adds staff by username and removes them, then the list follows; others get 404', async () => {
    const event = await makeEvent(app, organizer, { title: 'Staffed Show' })
    const browser = await browserFor(app, organizer)
    const edit = await browser.get(`/organizer/events/${event.id}`)
    expect(edit.body).toContain(`href="/organizer/events/${event.id}/staff"`)
    expect(edit.body).toContain(`href="/check-in/${event.id}"`)
    await browser.get(`/organizer/events/${event.id}/staff`)
    const added = await browser.post(`/organizer/events/${event.id}/staff`, { username: `@${door.username}` })
    expect(added.statusCode).toBe(303)
    const list = await browser.get(`/organizer/events/${event.id}/staff`)
    expect(list.body).toContain('Dora Door is now staff of this event. We e-mailed them a link to the door.')
    expect(list.body).toContain(`(@${door.username})`)
    const again = await browser.post(`/organizer/events/${event.id}/staff`, { username: door.username })
    expect(again.statusCode).toBe(422)
    expect(again.body).toContain('already staff')
    const unknown = await browser.post(`/organizer/events/${event.id}/staff`, {
      username: 'nobody_here_at_all',
    })
    expect(unknown.statusCode).toBe(422)
    expect(unknown.body).toContain('No one has this username.')
    expect(unknown.body).toContain('aria-invalid="true"')
    const removed = await browser.post(`/organizer/events/${event.id}/staff/${door.id}/remove`)
    expect(removed.statusCode).toBe(303)
    expect((await browser.get(`/organizer/events/${event.id}/staff`)).body).toContain('No staff yet.')
    const stranger = await browserFor(app, holder)
    expect((await stranger.get(`/organizer/events/${event.id}/staff`)).statusCode).toBe(404)
  })
})

describe('the check-in page', () => {
  it('when staff types codes, then a valid one is green, the same again amber, a bad one red; the count follows', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Door Test',
      sections: [{ name: 'Stalls', rows: 1, seats_per_row: 4 }],
    })
    const ticket = await confirmedTicket(app, holder, event)
    const code = (await codeOf(app, holder, ticket.id))!
    await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/staff`,
      headers: { authorization: `Bearer ${organizer.accessToken}` },
      payload: { user_id: door.id },
    })
    const browser = await browserFor(app, door)
    const list = await browser.get('/check-in')
    expect(list.body).toContain(`href="/check-in/${event.id}"`)
    const page = await browser.get(`/check-in/${event.id}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('<form method="post" action="/check-in/')
    expect(page.body).toContain('Checked in: 0 of 1')
    expect(page.headers['content-security-policy']).toContain("worker-src 'self' blob:")
    expect(page.body).toContain(`data-scanner="${assetUrl('qr-scanner.min.js')}"`)

    const ok = await browser.post(`/check-in/${event.id}`, { code })
    expect(ok.statusCode).toBe(200)
    expect(ok.body).toMatch(/class="check-result check-ok">✓ Checked in: Hana Holder, Stalls, Row A, seat \d/)
    expect(ok.body).toContain('Checked in: 1 of 1')
    const again = await browser.post(`/check-in/${event.id}`, { code })
    // A refusal is not a 200: the door's page says why, with the status a client or a test can read.
    expect(again.statusCode).toBe(409)
    // The door sees whose ticket was used, and where they sit.
    expect(again.body).toMatch(
      /class="check-result check-already">⚠ Already checked in at [^<]+: Hana Holder, Stalls, Row A, seat \d/,
    )
    const bad = await browser.post(`/check-in/${event.id}`, { code: 'made.up' })
    expect(bad.statusCode).toBe(422)
    expect(bad.body).toContain('class="check-result check-invalid"><span>✕ Not valid</span>')
    const empty = await browser.post(`/check-in/${event.id}`, { code: '   ' })
    expect(empty.statusCode).toBe(422)
    expect(empty.body).toContain('Type or paste a code first.')

    const outsider = await browserFor(app, holder)
    expect((await outsider.get(`/check-in/${event.id}`)).statusCode).toBe(403)
    expect((await outsider.post(`/check-in/${event.id}`, { code })).statusCode).toBe(403)
    expect((await outsider.get('/check-in')).body).toContain('There is no event whose door you work.')
  })

  it('serves the camera scanner from the package, its worker import pointed at the worker’s hashed URL', async () => {
    const scanner = await app.inject({ method: 'GET', url: assetUrl('qr-scanner.min.js') })
    expect(scanner.statusCode).toBe(200)
    const worker = assetUrl('qr-scanner-worker.min.js')
    expect(scanner.body).toContain(`import("${worker}")`)
    expect((await app.inject({ method: 'GET', url: worker })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: assetUrl('checkin.js') })).statusCode).toBe(200)
  })
})
