// Each box-office change sends its e-mails from the transaction that makes it: exactly these, to these people,
// and a change that rolls back sends nothing. Through HTTP, a real worker and a real SMTP server.
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { when } from '../../src/mail/format.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import { buildBoxOfficeApp, lapseReservation, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { joinAs } from '../factories/waitlist.js'
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

describe('change: event changed', () => {
  it('when the start or venue of an event to come changes, then every holder, payer and waiter is told once, with what it was', async () => {
    const [payer, friend, unpaid, lapsedBooker, waiter, soldOut] = (await quickUsers(app, 6)) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ]
    await makeFriends(app, payer, friend)
    const startsAt = new Date(Date.now() + 40 * 86_400_000)
    const event = await makeEvent(app, organizer, {
      title: 'Moving Matinee',
      venue: 'Old Hall',
      starts_at: startsAt.toISOString(),
      timezone: 'Europe/Paris',
      sections: [
        { capacity: 10, price_cents: 4500 },
        { name: 'Box', capacity: 1 },
      ],
    })
    const [open, box] = event.sections as { id: number }[]
    const paid = (
      await reserveAs(app, payer, event.id, { section_id: open!.id, attendee_ids: [friend.id] })
    ).json()
    await payAs(app, payer, paid.invoices[0].id)
    await reserveAs(app, unpaid, event.id, { section_id: open!.id })
    const lapsed = (await reserveAs(app, lapsedBooker, event.id, { section_id: open!.id })).json()
    await lapseReservation(app, lapsed.id)
    await reserveAs(app, soldOut, event.id, { section_id: box!.id })
    expect((await joinAs(app, waiter, event.id, { section_id: box!.id, quantity: 1 })).statusCode).toBe(201)

    const patch = (payload: object) =>
      app.inject({ method: 'PATCH', url: `/api/v1/events/${event.id}`, headers: organizer.auth, payload })
    // What is not the start or the venue, or the same start and venue sent again, tells no one.
    await expectNoNewJobs(async () => {
      const same = await patch({
        title: 'Moving Matinee',
        starts_at: startsAt.toISOString(),
        venue: ' Old Hall ',
      })
      expect(same.statusCode).toBe(200)
      expect((await patch({ description: 'Now with an interval' })).statusCode).toBe(200)
    })
    const later = new Date(startsAt.getTime() + 2 * 86_400_000)
    expect((await patch({ starts_at: later.toISOString() })).statusCode).toBe(200)
    expect((await patch({ venue: 'New Hall' })).statusCode).toBe(200)

    const [toPayer, toFriend, toUnpaid, toLapsed, toWaiter, toSoldOut] = await delivered([
      [payer, 4],
      [friend, 2],
      [unpaid, 3],
      [lapsedBooker, 1],
      [waiter, 2],
      [soldOut, 3],
    ])
    const changed = (mails: ReceivedMail[]) => mails.filter((m) => m.subject.startsWith('New '))
    for (const mails of [toPayer!, toFriend!, toUnpaid!, toWaiter!, toSoldOut!]) {
      expect(subjects(changed(mails))).toEqual([
        'New date for Moving Matinee',
        'New venue for Moving Matinee',
      ])
      const [date, venue] = changed(mails) as [ReceivedMail, ReceivedMail]
      expect(date.text).toContain(
        `It now starts on ${when(later, 'Europe/Paris')} (it was ${when(startsAt, 'Europe/Paris')})`,
      )
      expect(date.text).not.toContain('takes place at')
      expect(venue.text).toContain('It now takes place at New Hall (it was Old Hall)')
      expect(venue.text).not.toContain('now starts')
    }
    expect(changed(toPayer!)[0]!.text).toContain('Your tickets for it (2) are still valid')
    expect(changed(toFriend!)[0]!.text).toContain('Your tickets for it (1) are still valid')
    // A hold not paid yet is not a ticket one can give back for a refund: it is kept until its due time.
    for (const held of [toUnpaid!, toSoldOut!]) {
      const text = changed(held)[0]!.text
      expect(text).toContain('Your tickets for it held and not paid yet (1) are kept until')
      expect(text).not.toContain('still valid')
      expect(text).not.toContain('refund')
    }
    expect(changed(toWaiter!)[0]!.text).toContain('You are still on its waiting list.')
    expect(changed(toWaiter!)[0]!.text).not.toContain('Your ')
    expect(changed(toWaiter!)[0]!.text).toContain(`http://stagedoor.test/events/${event.id}`)
    expect(changed(toPayer!)[0]!.text).toContain('http://stagedoor.test/tickets')
    // A hold that had lapsed is no ticket.
    expect(changed(toLapsed!)).toEqual([])
  })

  it('when both change at once, one message says both, the old start on the clock it was told on; the organizer is not told of their own change; a draft, a past start or a cancelled event tells no one', async () => {
    const [holder, host] = (await quickUsers(app, 2)) as [TestUser, TestUser]
    const startsAt = new Date(Date.now() + 50 * 86_400_000)
    const event = await makeEvent(app, host, {
      title: 'Double Move',
      venue: 'Barn',
      starts_at: startsAt.toISOString(),
      timezone: 'Europe/Paris',
    })
    await reserveAs(app, holder, event.id, { section_id: event.sections[0]!.id })
    // The organizer holds a ticket to their own event too.
    await reserveAs(app, host, event.id, { section_id: event.sections[0]!.id })
    const patch = (id: number, payload: object, by = organizer) =>
      app.inject({ method: 'PATCH', url: `/api/v1/events/${id}`, headers: by.auth, payload })
    const later = new Date(startsAt.getTime() + 10 * 86_400_000)
    const moved = await patch(
      event.id,
      { starts_at: later.toISOString(), venue: 'Castle', timezone: 'America/New_York' },
      host,
    )
    expect(moved.statusCode).toBe(200)
    const [toHolder, toHost] = await delivered([
      [holder, 2],
      [host, 1],
    ])
    expect(subjects(toHolder!)).toContain('New date and venue for Double Move')
    expect(subjects(toHost!)).toEqual([`Invoice ${(await invoiceNumbersOf(host))[0]} for Double Move`])
    const both = toHolder!.find((m) => m.subject === 'New date and venue for Double Move')!
    expect(both.text).toContain(
      `It now starts on ${when(later, 'America/New_York')} (it was ${when(startsAt, 'Europe/Paris')})`,
    )
    expect(both.text).toContain('It now takes place at Castle (it was Barn)')
    expect(both.html).toContain('It now takes place at <strong>Castle</strong> (it was Barn)')

    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const cancelled = await makeEvent(app, organizer, { status: 'cancelled' })
    const past = await makeEvent(app, organizer, { venue: 'Pier' })
    await reserveAs(app, holder, past.id, { section_id: past.sections[0]!.id })
    await app.ctx.db.execute(
      sql`update events set starts_at = now() - interval '1 hour' where id = ${past.id}`,
    )
    await expectNoNewJobs(async () => {
      expect((await patch(draft.id, { venue: 'Elsewhere' })).statusCode).toBe(200)
      expect((await patch(cancelled.id, { venue: 'Elsewhere' })).statusCode).toBe(200)
      // A start already past corrected to another past time: nobody can act on it any more.
      const earlier = new Date(Date.now() - 2 * 3_600_000).toISOString()
      expect((await patch(past.id, { starts_at: earlier, venue: 'Jetty' })).statusCode).toBe(200)
    })
  })
})

/** The numbers of the invoices `user` pays, oldest first. */
async function invoiceNumbersOf(user: TestUser): Promise<string[]> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/users/me/invoices', headers: user.auth })
  return (res.json().data as { number: string }[]).map((i) => i.number).reverse()
}

describe('refund: ticket refunded', () => {
  it('when a paid ticket is given back, then its payer (only) is told what is refunded and who gave it back', async () => {
    const [payer, friend, other, leaving] = (await quickUsers(app, 4)) as [
      TestUser,
      TestUser,
      TestUser,
      TestUser,
    ]
    await makeFriends(app, payer, friend)
    await makeFriends(app, payer, leaving)
    const event = await makeEvent(app, organizer, {
      title: 'Refund Revue',
      sections: [
        { capacity: 10, price_cents: 4500 },
        { name: 'Free Floor', capacity: 10, price_cents: 0 },
      ],
    })
    const [priced, free] = event.sections as { id: number }[]
    const booked = (
      await reserveAs(app, payer, event.id, { section_id: priced!.id, attendee_ids: [friend.id, leaving.id] })
    ).json()
    await payAs(app, payer, booked.invoices[0].id)
    const ticketOf = (user: TestUser) =>
      (booked.tickets as { id: number; holder: { id: number } }[]).find((t) => t.holder.id === user.id)!.id
    const giveBack = (user: TestUser, id: number) =>
      app.inject({ method: 'DELETE', url: `/api/v1/tickets/${id}`, headers: user.auth })
    // Released holds and free tickets refund nothing, and tell nobody.
    const held = (await reserveAs(app, other, event.id, { section_id: priced!.id })).json()
    const freebie = (await reserveAs(app, other, event.id, { section_id: free!.id })).json()
    await payAs(app, other, freebie.invoices[0].id)
    await expectNoNewJobs(async () => {
      expect((await giveBack(other, held.tickets[0].id)).statusCode).toBe(204)
      expect((await giveBack(other, freebie.tickets[0].id)).statusCode).toBe(204)
    })

    expect((await giveBack(friend, ticketOf(friend))).statusCode).toBe(204)
    expect((await giveBack(payer, ticketOf(payer))).statusCode).toBe(204)
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: leaving.auth })).statusCode,
    ).toBe(204)

    const [toPayer, toFriend] = await delivered([
      [payer, 5],
      [friend, 0],
    ])
    const refunds = toPayer!.filter((m) => m.subject === 'Refund of A$45.00 for Refund Revue')
    expect(refunds).toHaveLength(3)
    // One each, in whatever order the worker delivered them.
    const who = (mail: ReceivedMail) =>
      mail.text.split('\n').find((line) => line.includes('gave') || line.includes('given back'))
    expect(refunds.map(who).sort()).toEqual(
      [
        `${friend.username}, who held this ticket, gave it back.`,
        'You gave this ticket back.',
        'This ticket was given back when its holder closed their account.',
      ].sort(),
    )
    for (const mail of refunds) {
      expect(mail.text).toContain(
        `We refund A$45.00 to the way you paid, for this ticket on invoice ${booked.invoices[0].number}`,
      )
      expect(mail.text).toContain('General Admission: General admission')
      expect(mail.text).toContain(`http://stagedoor.test/invoices/${booked.invoices[0].id}`)
    }
    expect(toFriend).toEqual([])
  })
})
