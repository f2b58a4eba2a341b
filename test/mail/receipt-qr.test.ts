// The payment receipt carries the entry QR of each ticket its payer holds, as an inline image the HTML names by
// cid:, and the code itself in both bodies; a friend's ticket on the same invoice carries none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBoxOfficeApp, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { codeOf } from '../factories/checkin.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import type { App, TestUser } from '../helpers.js'
import { type Inbox, startInbox } from './inbox.js'

let app: App
let inbox: Inbox
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildBoxOfficeApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

describe('payment receipt: entry QR codes', () => {
  it('when a booker pays for their ticket and a friend’s, then the receipt shows the QR and code of their own ticket only', async () => {
    const [organizer, buyer, friend] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    await makeFriends(app, buyer, friend)
    const event = await makeEvent(app, organizer, { title: 'QR Quartet' })
    const made = (
      await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, attendee_ids: [friend.id] })
    ).json()
    expect((await payAs(app, buyer, made.invoices[0].id)).statusCode).toBe(200)
    const [receipt] = await inbox.waitFor(
      1,
      (m) => m.to.includes(buyer.email) && m.subject === 'Your tickets for QR Quartet',
    )
    const mine = made.tickets.find((t: { holder: { id: number } }) => t.holder.id === buyer.id)
    const theirs = made.tickets.find((t: { holder: { id: number } }) => t.holder.id === friend.id)
    const code = await codeOf(app, buyer, mine.id)
    expect(code).toBeDefined()
    expect(receipt!.text).toContain(`Entry code: ${code}`)
    expect(receipt!.html).toContain(`src="cid:ticket-${mine.id}@stagedoor"`)
    expect(receipt!.html).toMatch(/alt="Entry QR code: General Admission, General admission"/)
    expect(receipt!.html).not.toContain(`cid:ticket-${theirs.id}@stagedoor`)
    expect(receipt!.raw).toMatch(new RegExp(`Content-ID: <ticket-${mine.id}@stagedoor>`, 'i'))
    expect(receipt!.raw).toMatch(/Content-Type: image\/png/i)
    expect(receipt!.text.match(/Entry code:/g)).toHaveLength(1)
  })
})
