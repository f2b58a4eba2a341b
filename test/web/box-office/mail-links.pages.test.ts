// Every link in the box-office e-mails opens a working page for the person it was sent to: the invoice, the
// tickets, the event (after an expiry or a cancellation). Through a real worker and a real SMTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expireStaleHolds } from '../../../src/modules/box-office/expire-holds.service.js'
import { buildBoxOfficeApp, lapseReservation, payAs, reserveAs } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { makeFriends } from '../../factories/social.js'
import { type App, registerUser, type TestUser } from '../../helpers.js'
import { type Inbox, startInbox } from '../../mail/inbox.js'
import { browserFor } from '../browser.js'

let app: App
let inbox: Inbox
let organizer: TestUser
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildBoxOfficeApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
  organizer = await registerUser(app)
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

/** The site paths linked from the mails to `user` (PUBLIC_URL stripped), without the account mails' tokens. */
function linkedPaths(user: TestUser): string[] {
  const paths = new Set<string>()
  for (const mail of inbox.messages.filter((m) => m.to.includes(user.email))) {
    for (const m of mail.text.matchAll(/http:\/\/stagedoor\.test(\/[^\s"<>]*)/g)) {
      if (!/token=/.test(m[1]!)) paths.add(m[1]!)
    }
  }
  return [...paths]
}

describe('links in the box-office e-mails', () => {
  it('open the invoice, tickets and event pages for their reader', async () => {
    const buyer = await registerUser(app)
    const friend = await registerUser(app)
    await makeFriends(app, buyer, friend)
    const event = await makeEvent(app, organizer)
    // Invoice issued and paid (receipt), a ticket transferred, a hold expired, the event cancelled.
    const paid = (
      await reserveAs(app, buyer, event.id, { section_id: event.sections[0].id, quantity: 1 })
    ).json()
    await payAs(app, buyer, paid.invoices[0].id)
    await app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${paid.tickets[0].id}/transfer`,
      headers: buyer.auth,
      payload: { user_id: friend.id },
    })
    const lapsing = (
      await reserveAs(app, buyer, event.id, { section_id: event.sections[0].id, quantity: 1 })
    ).json()
    await lapseReservation(app, lapsing.id)
    await expireStaleHolds(app.ctx)
    await app.inject({ method: 'POST', url: `/api/v1/events/${event.id}/cancel`, headers: organizer.auth })
    // The mails go out from a worker: wait for the last kind (the event's link) as well as the count.
    await inbox.waitFor(4, (m) => m.to.includes(buyer.email))
    await inbox.waitFor(1, (m) => m.to.includes(buyer.email) && m.text.includes(`/events/${event.id}`))
    await inbox.waitFor(2, (m) => m.to.includes(friend.email))

    for (const user of [buyer, friend]) {
      const browser = await browserFor(app, user)
      const paths = linkedPaths(user)
      expect(paths.length).toBeGreaterThan(0)
      for (const path of paths) {
        const res = await browser.get(path)
        expect([200, 303], `${path} for ${user.username}`).toContain(res.statusCode)
        expect(res.headers['content-type']).toContain('text/html')
      }
    }
    expect(linkedPaths(buyer)).toEqual(
      expect.arrayContaining([
        `/invoices/${paid.invoices[0].id}`,
        '/tickets',
        `/events/${event.id}?again=${lapsing.id}`,
      ]),
    )
  })
})
