// Each box-office change sends its e-mails from the transaction that makes it: exactly these, to these people,
// and a change that rolls back sends nothing. Through HTTP, a real worker and a real SMTP server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { when } from '../../src/mail/format.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import { buildBoxOfficeApp, lapseReservation, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import type { App, TestUser } from '../helpers.js'
import { mailJobs, mailSettled } from '../jobs/helpers.js'
import { type Inbox, type ReceivedMail, startInbox } from './inbox.js'

let app: App
let inbox: Inbox
let organizer: TestUser
beforeAll(async () => {
  inbox = await startInbox()
  app = await buildBoxOfficeApp({ WORKERS_IN_PROCESS: 'true', SMTP_URL: inbox.url })
  ;[organizer] = (await quickUsers(app, 1)) as [TestUser]
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

const mailTo = (user: TestUser) => inbox.messages.filter((m) => m.to.includes(user.email))

/**
 * Waits for the messages each user should get, then for every mail job to finish (so any extra copy would be
 * in the inbox too), and returns each user's messages in the order given.
 */
async function delivered(expected: [TestUser, number][]): Promise<ReceivedMail[][]> {
  for (const [user, n] of expected) await inbox.waitFor(n, (m) => m.to.includes(user.email))
  await mailSettled(app)
  return expected.map(([user]) => mailTo(user))
}

const subjects = (mails: ReceivedMail[]) => mails.map((m) => m.subject)

/** A rolled-back change leaves no mail job behind, so it can never send anything. */
async function expectNoNewJobs(change: () => Promise<unknown>) {
  const before = (await mailJobs(app)).length
  await change()
  expect(await mailJobs(app)).toHaveLength(before)
}

describe('reservation: invoice issued', () => {
  it('when a reservation splits payment, then each payer gets one message for their own invoice; SOLD_OUT sends nothing', async () => {
    const [booker, friend, late] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    await makeFriends(app, booker, friend)
    const event = await makeEvent(app, organizer, {
      title: 'Split Gala',
      sections: [{ capacity: 2, price_cents: 4500 }],
    })
    const res = await reserveAs(app, booker, event.id, {
      section_id: event.sections[0]!.id,
      attendee_ids: [friend.id],
      split_payment: true,
    })
    expect(res.statusCode).toBe(201)
    const [mine, theirs] = res.json().invoices
    await expectNoNewJobs(async () => {
      const sold = await reserveAs(app, late, event.id, { section_id: event.sections[0]!.id })
      expect(sold.json().code).toBe('SOLD_OUT')
    })

    const [toBooker, toFriend, toLate] = await delivered([
      [booker, 1],
      [friend, 1],
      [late, 0],
    ])
    expect(subjects(toBooker!)).toEqual([`Invoice ${mine.number} for Split Gala`])
    expect(subjects(toFriend!)).toEqual([`Invoice ${theirs.number} for Split Gala`])
    expect(toLate).toEqual([])
    for (const mail of [toBooker![0]!, toFriend![0]!]) {
      expect(mail.text).toContain('Split Gala: General Admission')
      expect(mail.text).toContain('A$45.00')
      expect(mail.text).toContain(when(mine.due_at))
    }
    expect(toBooker![0]!.text).toContain(`http://stagedoor.test/invoices/${mine.id}`)
    expect(toFriend![0]!.text).toContain(`http://stagedoor.test/invoices/${theirs.id}`)
  })
})

describe('payment: receipt', () => {
  it('when an invoice is paid, then the payer gets a receipt naming each seat; a declined payment sends nothing', async () => {
    const [buyer] = (await quickUsers(app, 1)) as [TestUser]
    const event = await makeEvent(app, organizer, {
      title: 'Receipt Recital',
      sections: [{ name: 'Stalls', rows: 1, seats_per_row: 5, price_cents: 3000 }],
    })
    const made = (
      await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    ).json()
    const invoiceId = made.invoices[0].id
    await expectNoNewJobs(async () => {
      expect((await payAs(app, buyer, invoiceId, 'test_declined')).json().code).toBe('PAYMENT_DECLINED')
    })
    expect((await payAs(app, buyer, invoiceId)).statusCode).toBe(200)

    const [toBuyer] = await delivered([[buyer, 2]])
    expect(subjects(toBuyer!)).toEqual([
      `Invoice ${made.invoices[0].number} for Receipt Recital`,
      'Your tickets for Receipt Recital',
    ])
    const receipt = toBuyer![1]!
    expect(receipt.text).toContain(`A$60.00 for invoice ${made.invoices[0].number}`)
    expect(receipt.text).toContain('Town Hall')
    for (const t of made.tickets as { seat: { row: string; number: number } }[]) {
      expect(receipt.text).toContain(`Stalls: Row ${t.seat.row}, seat ${t.seat.number}`)
    }
  })
})

describe('transfer: ticket transferred', () => {
  it('when a holder transfers a ticket, then the new holder (only) is told who sent it', async () => {
    const [holder, friend] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    await makeFriends(app, holder, friend)
    const event = await makeEvent(app, organizer, { title: 'Gift Gig' })
    const made = (await reserveAs(app, holder, event.id, { section_id: event.sections[0]!.id })).json()
    await payAs(app, holder, made.invoices[0].id)
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/tickets/${made.tickets[0].id}/transfer`,
      headers: holder.auth,
      payload: { user_id: friend.id },
    })
    expect(res.statusCode).toBe(200)

    const [toHolder, toFriend] = await delivered([
      [holder, 2],
      [friend, 1],
    ])
    expect(subjects(toHolder!)).toHaveLength(2)
    expect(subjects(toFriend!)).toEqual([`${holder.username} sent you a ticket for Gift Gig`])
    expect(toFriend![0]!.text).toContain('General Admission')
    expect(toFriend![0]!.text).toContain('General admission')
  })
})

describe('staff: added to the door', () => {
  it('when the organizer adds a member to the door staff, then the member (only) is told, once, where the door is', async () => {
    const [staff] = (await quickUsers(app, 1)) as [TestUser]
    const event = await makeEvent(app, organizer, { title: 'Door Night' })
    const add = () =>
      app.inject({
        method: 'POST',
        url: `/api/v1/events/${event.id}/staff`,
        headers: organizer.auth,
        payload: { user_id: staff.id },
      })
    expect((await add()).statusCode).toBe(201)
    // Added twice: 409, and no second message.
    expect((await add()).statusCode).toBe(409)
    const [toStaff] = await delivered([[staff, 1]])
    expect(subjects(toStaff!)).toEqual(['You check tickets in at Door Night'])
    expect(toStaff![0]!.text).toContain('added you to the door staff of')
    expect(toStaff![0]!.text).toContain(`/check-in/${event.id}`)
    expect(mailTo(organizer).map((m) => m.subject)).not.toContain('You check tickets in at Door Night')
  })
})

describe('expiry: reservation expired', () => {
  it('when the sweep expires a reservation, then its booker is told once, however often the sweep runs', async () => {
    const [booker] = (await quickUsers(app, 1)) as [TestUser]
    const event = await makeEvent(app, organizer, { title: 'Lapse Live' })
    const made = (
      await reserveAs(app, booker, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    ).json()
    await lapseReservation(app, made.id)
    expect(await expireStaleHolds(app.ctx)).toBeGreaterThanOrEqual(1)
    expect(await expireStaleHolds(app.ctx)).toBe(0)

    const [toBooker] = await delivered([[booker, 2]])
    expect(subjects(toBooker!)).toEqual([
      `Invoice ${made.invoices[0].number} for Lapse Live`,
      'Your reservation for Lapse Live expired',
    ])
    expect(toBooker![1]!.text).toContain('2 tickets')
    expect(toBooker![1]!.text).toContain(`http://stagedoor.test/events/${event.id}?again=${made.id}`)
  })

  it('when a reservation expires a lapsed hold to make room, then that booker is told once; the failed reservation tells no one', async () => {
    const [first, greedy, second] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
    const event = await makeEvent(app, organizer, {
      title: 'Lazy Lounge',
      sections: [{ capacity: 1 }],
    })
    const section_id = event.sections[0]!.id
    const lapsed = (await reserveAs(app, first, event.id, { section_id })).json()
    await lapseReservation(app, lapsed.id)
    // Asking for more than the section holds: the lapsed hold is expired on the way (whoever finds a lapsed
    // hold expires it for good, as the sweep would), then the claim still fails and writes nothing.
    const res = await reserveAs(app, greedy, event.id, { section_id, quantity: 2 })
    expect(res.json().code).toBe('SOLD_OUT')
    expect((await reserveAs(app, second, event.id, { section_id })).statusCode).toBe(201)
    expect(await expireStaleHolds(app.ctx)).toBe(0)

    const [toFirst, toGreedy] = await delivered([
      [first, 2],
      [greedy, 0],
      [second, 1],
    ])
    expect(subjects(toFirst!)).toEqual([
      `Invoice ${lapsed.invoices[0].number} for Lazy Lounge`,
      'Your reservation for Lazy Lounge expired',
    ])
    expect(toFirst![1]!.text).toContain('1 ticket ')
    expect(toGreedy).toEqual([])
  })
})

describe('cancellation: event cancelled', () => {
  it('when an event is cancelled, then every holder and payer is told once, with what they get back', async () => {
    const [payer, friend, unpaid, lapsedBooker] = (await quickUsers(app, 4)) as TestUser[] as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ]
    await makeFriends(app, payer, friend)
    const event = await makeEvent(app, organizer, {
      title: 'Doomed Disco',
      sections: [{ capacity: 10, price_cents: 4500 }],
    })
    const section_id = event.sections[0]!.id
    const paid = (await reserveAs(app, payer, event.id, { section_id, attendee_ids: [friend.id] })).json()
    await payAs(app, payer, paid.invoices[0].id)
    await reserveAs(app, unpaid, event.id, { section_id })
    const lapsed = (await reserveAs(app, lapsedBooker, event.id, { section_id })).json()
    await lapseReservation(app, lapsed.id)

    const cancel = () =>
      app.inject({ method: 'POST', url: `/api/v1/events/${event.id}/cancel`, headers: organizer.auth })
    expect((await cancel()).statusCode).toBe(200)
    expect((await cancel()).statusCode).toBe(200)

    const [toPayer, toFriend, toUnpaid, toLapsed] = await delivered([
      [payer, 3],
      [friend, 1],
      [unpaid, 2],
      [lapsedBooker, 1],
    ])
    const cancelled = (mails: ReceivedMail[]) => mails.filter((m) => m.subject === 'Cancelled: Doomed Disco')
    expect(subjects(toPayer!)).toHaveLength(3)
    expect(cancelled(toPayer!)).toHaveLength(1)
    expect(cancelled(toPayer!)[0]!.text).toContain('Your tickets for it (2)')
    expect(cancelled(toPayer!)[0]!.text).toContain('We refund A$90.00')
    expect(subjects(toFriend!)).toEqual(['Cancelled: Doomed Disco'])
    expect(toFriend![0]!.text).toContain('Your tickets for it (1)')
    expect(toFriend![0]!.text).toContain('nothing to refund')
    expect(cancelled(toUnpaid!)).toHaveLength(1)
    expect(cancelled(toUnpaid!)[0]!.text).toContain('nothing to refund')
    // A hold that had lapsed is no ticket to cancel.
    expect(cancelled(toLapsed!)).toEqual([])
  })
})
