// The organizer's webhook pages: add one (the secret shown once), the delivery log and its Redeliver button,
// deactivate and delete; forms without JavaScript, each refused without its CSRF token.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { payAs, quickUsers, reserveAs } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { jobRows } from '../../jobs/helpers.js'
import { Browser, browserFor, expectUnconfirmed } from '../browser.js'

let app: App
let organizer: TestUser
let other: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app, { display_name: 'Olga Organizer' })
  other = await registerUser(app)
})
afterAll(() => app.close())

const URL_ = 'https://93.184.215.14/stagedoor-hooks'

async function addHook(browser: Browser, fields: Record<string, string | string[]>) {
  await browser.get('/organizer/webhooks')
  return browser.post('/organizer/webhooks', fields)
}

describe('organizer webhooks', () => {
  it('without a session, then the pages send the browser to log in', async () => {
    const res = await new Browser(app).get('/organizer/webhooks')
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/login?next=%2Forganizer%2Fwebhooks')
  })

  it('adds a webhook and shows its secret once; the list shows it without the secret', async () => {
    const browser = await browserFor(app, organizer)
    const added = await addHook(browser, { url: URL_, events: ['ticket.confirmed', 'event.cancelled'] })
    expect(added.statusCode).toBe(201)
    const secret = /id="webhook-secret">(whsec_[A-Za-z0-9+/=]+)</.exec(added.body)?.[1]
    expect(secret).toBeDefined()
    expect(added.body).toContain('it is not shown again')
    const list = await browser.get('/organizer/webhooks')
    expect(list.body).toContain(URL_)
    expect(list.body).toContain('ticket.confirmed, event.cancelled')
    expect(list.body).not.toContain('whsec_')
    expect(added.headers['cache-control']).toBe('private, no-store')
  })

  it('one box ticked arrives as one value and is accepted', async () => {
    const browser = await browserFor(app, await registerUser(app))
    const added = await addHook(browser, { url: URL_, events: 'waitlist.offered' })
    expect(added.statusCode).toBe(201)
  })

  it('when the URL is private or no event is chosen, then the form comes back with the errors beside the fields', async () => {
    const browser = await browserFor(app, organizer)
    const none = await addHook(browser, { url: URL_ })
    expect(none.statusCode).toBe(422)
    expect(none.body).toContain('id="f-events-error"')
    expect(none.body).toContain(`value="${URL_}"`)
    const local = await addHook(browser, { url: 'http://127.0.0.1:8080/x', events: ['ticket.refunded'] })
    expect(local.statusCode).toBe(422)
    expect(local.body).toContain('id="f-url-error"')
    expect(local.body).toContain('not a public address')
    expect(local.body).toMatch(/value="ticket.refunded"\s+checked/)
    const unknown = await addHook(browser, { url: URL_, events: ['ticket.sold'] })
    expect(unknown.statusCode).toBe(422)
  })

  it('shows the delivery log; Redeliver sends one again; deactivate, reactivate and delete work', async () => {
    const browser = await browserFor(app, organizer)
    const added = await addHook(browser, { url: URL_, events: ['ticket.confirmed'] })
    const id = Number(/href="\/organizer\/webhooks\/(\d+)">Open the webhook/.exec(added.body)?.[1])
    const [buyer] = await quickUsers(app, 1)
    const event = await makeEvent(app, organizer)
    const made = (await reserveAs(app, buyer!, event.id, { section_id: event.sections[0]!.id })).json()
    expect((await payAs(app, buyer!, made.invoices[0].id)).statusCode).toBe(200)

    const page = await browser.get(`/organizer/webhooks/${id}`)
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('ticket.confirmed')
    expect(page.body).toContain('Pending')
    const deliveryId = Number(/deliveries\/(\d+)\/redeliver/.exec(page.body)?.[1])
    const jobsFor = async () =>
      (await jobRows(app, sql`name = 'webhook' and (data->>'deliveryId')::int = ${deliveryId}`)).length
    const before = await jobsFor()
    const again = await browser.post(`/organizer/webhooks/${id}/deliveries/${deliveryId}/redeliver`)
    expect(again.statusCode).toBe(303)
    expect(await jobsFor()).toBe(before + 1)
    expect((await browser.get(`/organizer/webhooks/${id}`)).body).toContain('Sent again')
    // A delivery still pending after a failed attempt is being retried, and says so.
    await app.ctx.db.execute(
      sql`update webhook_deliveries set attempts = 1, last_status_code = 500 where id = ${deliveryId}`,
    )
    const retrying = await browser.get(`/organizer/webhooks/${id}`)
    expect(retrying.body).toContain(
      '<td data-label="Status">Failed, will retry</td><td data-label="Attempts">1</td>' +
        '<td data-label="Last answer">500</td>',
    )

    expect((await browser.post(`/organizer/webhooks/${id}/active`, { active: 'false' })).statusCode).toBe(303)
    const off = await browser.get(`/organizer/webhooks/${id}`)
    expect(off.body).toContain('Deactivated')
    expect(off.body).toContain('Reactivate')
    await browser.post(`/organizer/webhooks/${id}/active`, { active: 'true' })
    expect((await browser.get(`/organizer/webhooks/${id}`)).body).toContain('>Deactivate<')

    const unconfirmed = await browser.post(`/organizer/webhooks/${id}/delete`)
    expectUnconfirmed(unconfirmed, 'f-delete-confirm', 'Tick the box to confirm the deletion.')
    expect((await browser.get(`/organizer/webhooks/${id}`)).statusCode).toBe(200)
    const deleted = await browser.post(`/organizer/webhooks/${id}/delete`, { confirm: 'yes' })
    expect(deleted.headers.location).toBe('/organizer/webhooks')
    expect((await browser.get(`/organizer/webhooks/${id}`)).statusCode).toBe(404)
  })

  it('when someone else opens or changes the webhook, then 404; without the CSRF token, then 403', async () => {
    const browser = await browserFor(app, organizer)
    const added = await addHook(browser, { url: URL_, events: ['ticket.confirmed'] })
    const id = Number(/href="\/organizer\/webhooks\/(\d+)">Open the webhook/.exec(added.body)?.[1])
    const stranger = await browserFor(app, other)
    expect((await stranger.get(`/organizer/webhooks/${id}`)).statusCode).toBe(404)
    expect((await stranger.post(`/organizer/webhooks/${id}/active`, { active: 'false' })).statusCode).toBe(
      404,
    )
    expect((await stranger.post(`/organizer/webhooks/${id}/delete`, { confirm: 'yes' })).statusCode).toBe(404)
    // Unticked, the refusal does not show another member's webhook either.
    expect((await stranger.post(`/organizer/webhooks/${id}/delete`)).statusCode).toBe(404)
    expect((await stranger.post(`/organizer/webhooks/${id}/deliveries/1/redeliver`)).statusCode).toBe(404)
    expect(
      (await browser.post(`/organizer/webhooks/${id}/delete`, { confirm: 'yes', _csrf: null })).statusCode,
    ).toBe(403)
    expect(
      (await browser.post('/organizer/webhooks', { url: URL_, events: 'ticket.confirmed', _csrf: null }))
        .statusCode,
    ).toBe(403)
    expect((await browser.get(`/organizer/webhooks/${id}`)).statusCode).toBe(200)
  })
})
