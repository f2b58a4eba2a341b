// The waiting list in the browser: joining from a sold-out event page, one's place and Leave there and on
// /waitlist, nobody else's entries shown, and every form refused without its CSRF token.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitlistEntries } from '../../../src/db/schema/index.js'
import { expireStaleHolds } from '../../../src/modules/box-office/expire-holds.service.js'
import { lapseReservation, reserveAs } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { makeFriends } from '../../factories/social.js'
import { joinAs, runWaitlistJobs } from '../../factories/waitlist.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { browserFor } from '../browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app)
})
afterAll(() => app.close())

async function soldOut(title: string) {
  const event = await makeEvent(app, organizer, { title, sections: [{ name: 'Pit', capacity: 1 }] })
  const holder = await registerUser(app)
  expect((await reserveAs(app, holder, event.id, { section_id: event.sections[0]!.id })).statusCode).toBe(201)
  return event
}

const statusOf = async (id: number) =>
  (await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.id, id)))[0]!.status

describe('the waiting list pages', () => {
  it('a member joins from the sold-out event page with a friend, sees their place, and leaves from /waitlist', async () => {
    const me = await registerUser(app, { display_name: 'Wanda Waiter' })
    const friend = await registerUser(app, { display_name: 'Fiona Friend' })
    const other = await registerUser(app)
    await makeFriends(app, me, friend)
    const event = await soldOut('Packed <Show>')
    const browser = await browserFor(app, me)
    const page = await browser.get(`/events/${event.id}`)
    expect(page.body).toContain('Join the waiting list')
    expect(page.body).toContain('Fiona Friend (@')
    // No reserve form with every button greyed out above it: the page says why and points to the list.
    expect(page.body).toContain('Every section is sold out. Join the waiting list below')
    expect(page.body).not.toContain(`action="/events/${event.id}/reserve`)
    // You and each ticked friend count one: another number is refused beside it, nothing joined.
    const three = await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '3',
      attendee_ids: [String(friend.id)],
    })
    expect(three.statusCode).toBe(422)
    expect(three.body).toMatch(
      /id="w-quantity-error"[^>]*>You and 1 friend make 2 tickets: enter 2, or change who is coming</,
    )
    // The number left at 1 beside a ticked friend is the two of us.
    const joined = await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '1',
      attendee_ids: [String(friend.id)],
      split_payment: 'true',
    })
    expect(joined.statusCode).toBe(303)
    expect(joined.headers.location).toBe(`/events/${event.id}#waitlist`)
    const after = await browser.get(`/events/${event.id}`)
    expect(after.body).toContain('You are on the waiting list: number 1.')
    // Waiting in its only section, the member is not told to join again.
    expect(after.body).toContain('Every section is sold out. You are on the waiting list below')
    expect(after.body).not.toContain('Join the waiting list below')
    expect(after.body).toContain('Pit: you are number 1 in the queue for 2 tickets')
    expect(after.body).toMatch(/action="\/waitlist\/\d+\/leave"/)
    const [entry] = await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, me.id))
    expect(entry).toMatchObject({ quantity: 2, attendeeIds: [friend.id], splitPayment: true })

    // A hand-edited number past the list's limit is refused in words (it was the table's check, as a 500).
    const stranger = await browserFor(app, other)
    await stranger.get(`/events/${event.id}`)
    const tooMany = await stranger.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '11',
    })
    // The event page again, the reason beside the block's field (not a flash at the top of the page, out of
    // sight of the block a browser scrolls to), and the number as typed.
    expect(tooMany.statusCode).toBe(422)
    expect(tooMany.body).toMatch(
      /id="w-quantity-error"[^>]*>Choose 1 to 10 tickets, you and your friends together.</,
    )
    expect(tooMany.body).toMatch(/id="w-quantity"[^>]*value="11"[^>]*aria-describedby="w-quantity-error"/)
    // Ten digits, too many to read as a number, are out of range all the same; a fraction is no whole number.
    for (const [quantity, words] of [
      ['1000000000', 'Choose 1 to 10 tickets, you and your friends together.'],
      ['1.5', 'Enter a whole number'],
    ] as const) {
      const refused = await stranger.post(`/events/${event.id}/waitlist`, {
        section_id: String(event.sections[0]!.id),
        quantity,
      })
      expect(refused.statusCode).toBe(422)
      expect(refused.body).toContain(`id="w-quantity-error" class="field-error">${words}<`)
    }
    // The form's action brings the answer to the block (#waitlist); the top of the page links there too.
    expect(tooMany.body).toContain(`action="/events/${event.id}/waitlist#waitlist"`)
    expect(tooMany.body).toContain(
      '<a href="#waitlist">You were not added to the waiting list: see why under “Waiting list”.</a>',
    )
    // Their own id typed into the friends list (it never offers it): the form's words, not the API's.
    const own = await stranger.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      attendee_ids: [String(other.id)],
    })
    expect(own.statusCode).toBe(422)
    expect(own.body).toMatch(/id="w-attendee_ids-error"[^>]*>Choose friends from the list</)
    expect(own.body).not.toContain('must not include yourself')
    // A section of another event, typed in.
    const elsewhere = await makeEvent(app, organizer)
    const foreign = await stranger.post(`/events/${event.id}/waitlist`, {
      section_id: String(elsewhere.sections[0]!.id),
      quantity: '2',
    })
    expect(foreign.statusCode).toBe(422)
    expect(foreign.body).toMatch(/id="w-section_id-error"[^>]*>Choose a section</)
    expect(
      await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, other.id)),
    ).toEqual([])

    // Joining twice: the refusal is shown above the block's form (the service's status), nothing changes.
    const again = await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '1',
    })
    expect(again.statusCode).toBe(409)
    expect(again.body).toMatch(
      /<section aria-labelledby="waitlist-heading"[\s\S]*class="form-error"[^>]*>You already wait/,
    )

    // Someone else sees neither my place nor my entry, and cannot make me leave.
    const theirs = await browserFor(app, other)
    const theirPage = await theirs.get(`/events/${event.id}`)
    expect(theirPage.body).toContain('Join the waiting list')
    expect(theirPage.body).not.toContain('in the queue')
    expect((await theirs.get('/waitlist')).body).toContain('You are on no waiting list.')
    expect((await theirs.post(`/waitlist/${entry!.id}/leave`, {})).statusCode).toBe(303)
    expect(await statusOf(entry!.id)).toBe('waiting')

    const mine = await browser.get('/waitlist')
    expect(mine.statusCode).toBe(200)
    expect(mine.body).toContain('Packed &lt;Show>')
    expect(mine.body).toContain('Waiting: number 1')
    const left = await browser.post(`/waitlist/${entry!.id}/leave`, { next: '/waitlist' })
    expect(left.statusCode).toBe(303)
    expect(left.headers.location).toBe('/waitlist')
    expect(await statusOf(entry!.id)).toBe('left')
    const listed = await browser.get('/waitlist')
    expect(listed.body).toContain('You left the waiting list.')
    expect(listed.body).toContain('Left')
    expect(listed.body).not.toMatch(/action="\/waitlist\/\d+\/leave"/)
  })

  it('a friend who is no longer one is named beside the block, the other choices kept; nothing is joined', async () => {
    const me = await registerUser(app)
    const stays = await registerUser(app, { display_name: 'Stella Stays' })
    const leaves = await registerUser(app, { display_name: 'Lena Leaves' })
    await makeFriends(app, me, stays)
    await makeFriends(app, me, leaves)
    const event = await soldOut('Friends first')
    const browser = await browserFor(app, me)
    await browser.get(`/events/${event.id}`)
    // Between loading the page and sending it, the friendship ended.
    const ended = await app.inject({
      method: 'DELETE',
      url: `/api/v1/users/me/friends/${me.id}`,
      headers: leaves.auth,
    })
    expect(ended.statusCode).toBe(204)
    const res = await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '3',
      attendee_ids: [String(stays.id), String(leaves.id)],
      split_payment: 'true',
    })
    expect(res.statusCode).toBe(403)
    expect(res.body).toMatch(
      new RegExp(`id="w-attendee_ids-error"[^>]*>Lena Leaves \\(@${leaves.username}\\) is not your friend<`),
    )
    expect(res.body).toMatch(/<fieldset id="w-attendee_ids" aria-describedby="w-attendee_ids-error">/)
    expect(res.body).toMatch(new RegExp(`name="attendee_ids" value="${stays.id}" checked`))
    expect(res.body).toMatch(/name="split_payment" value="true" checked/)
    expect(await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, me.id))).toEqual(
      [],
    )
  })

  it('cancelled while the page was open: both forms are refused with the reason at the top, no link to a form gone', async () => {
    const me = await registerUser(app)
    const event = await soldOut('Called off')
    const open = await makeEvent(app, organizer, { title: 'Called off too' })
    const browser = await browserFor(app, me)
    await browser.get(`/events/${event.id}`)
    for (const e of [event, open]) {
      const cancelled = await app.inject({
        method: 'POST',
        url: `/api/v1/events/${e.id}/cancel`,
        headers: organizer.auth,
      })
      expect(cancelled.statusCode).toBe(200)
    }
    const join = await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '1',
    })
    expect(join.statusCode).toBe(409)
    expect(join.body).toMatch(
      /<p class="error-summary" role="alert">This event is not on sale \(cancelled\)<\/p>/,
    )
    expect(join.body).not.toContain('href="#waitlist"')
    // A bad field on a form that is gone: the page says why nothing happened, not what to mend.
    const bad = await browser.post(`/events/${event.id}/waitlist`, { section_id: 'x', quantity: '1' })
    expect(bad.statusCode).toBe(422)
    expect(bad.body).toMatch(/<p class="error-summary" role="alert">This event is not on sale.<\/p>/)
    const reserve = await browser.post(`/events/${open.id}/reserve`, {
      section_id: String(open.sections[0]!.id),
      quantity: '1',
    })
    expect(reserve.statusCode).toBe(409)
    // Before, the reason went beside a form the cancelled page no longer has: nothing said why.
    expect(reserve.body).toMatch(/<p class="error-summary" role="alert">[^<]*not on sale[^<]*<\/p>/)
    expect(reserve.body).not.toContain('href="#reserve"')
  })

  it('an offer on /waitlist says until when it is held', async () => {
    const event = await makeEvent(app, organizer, { title: 'Offer deadline', sections: [{ capacity: 1 }] })
    const holder = await registerUser(app)
    const hold = (await reserveAs(app, holder, event.id, { section_id: event.sections[0]!.id })).json()
    const me = await registerUser(app)
    expect(
      (await joinAs(app, me, event.id, { section_id: event.sections[0]!.id, quantity: 1 })).statusCode,
    ).toBe(201)
    await lapseReservation(app, hold.id)
    await expireStaleHolds(app.ctx)
    expect(await runWaitlistJobs(app)).toBe(1)
    const page = (await (await browserFor(app, me)).get('/waitlist')).body
    expect(page).toMatch(/Offered: pay to keep the tickets by \d+ \w+ \d{4}, \d{2}:\d{2} UTC/)
  })

  it('waiting in the only sold-out section, no form offers a section on sale; a page gone stale says to reserve', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer, {
      title: 'Half full',
      sections: [
        { name: 'Pit', capacity: 1 },
        { name: 'Balcony', capacity: 5 },
      ],
    })
    const [pit, balcony] = event.sections as [{ id: number }, { id: number }]
    const holder = await registerUser(app)
    const held = await reserveAs(app, holder, event.id, { section_id: pit.id })
    expect(held.statusCode).toBe(201)
    const browser = await browserFor(app, me)
    const page = await browser.get(`/events/${event.id}`)
    // Only the sold-out section is offered: joining one with places left is 409 SEATS_AVAILABLE.
    expect(page.body).toContain('Join the waiting list')
    expect(page.body).toMatch(new RegExp(`<option value="${pit.id}" selected>Pit \\(sold out\\)</option>`))
    expect(page.body).not.toContain(`<option value="${balcony.id}"`)
    const joined = await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(pit.id),
      quantity: '1',
    })
    expect(joined.statusCode).toBe(303)
    const after = await browser.get(`/events/${event.id}`)
    expect(after.body).toContain('Pit: you are number 1 in the queue for 1 ticket')
    expect(after.body).not.toContain(`action="/events/${event.id}/waitlist`)
    expect(after.body).toContain(`action="/events/${event.id}/reserve`)

    // Another event's page is loaded while its only section is sold out; the hold lapses before the form is sent.
    const stale = await makeEvent(app, organizer, {
      title: 'Came back',
      sections: [{ name: 'Pit', capacity: 1 }],
    })
    const staleHold = await reserveAs(app, holder, stale.id, { section_id: stale.sections[0]!.id })
    expect(staleHold.statusCode).toBe(201)
    expect((await browser.get(`/events/${stale.id}`)).body).toContain('Join the waiting list')
    await lapseReservation(app, staleHold.json().id)
    const late = await browser.post(`/events/${stale.id}/waitlist`, {
      section_id: String(stale.sections[0]!.id),
      quantity: '1',
    })
    expect(late.statusCode).toBe(409)
    expect(late.body).toContain('Places came back in this section since the page was loaded: reserve them')
    expect(late.body).toContain(`action="/events/${stale.id}/reserve`)
    expect(late.body).not.toContain(`action="/events/${stale.id}/waitlist`)
    expect(
      await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, me.id)),
    ).toHaveLength(1)
  })

  it('an event with places left shows no waiting-list block; nobody signed in is sent to log in', async () => {
    const me = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10 }] })
    const browser = await browserFor(app, me)
    expect((await browser.get(`/events/${event.id}`)).body).not.toContain('Join the waiting list')
    const anonymous = await app.inject({ method: 'GET', url: '/waitlist', headers: { accept: 'text/html' } })
    expect(anonymous.statusCode).toBe(303)
    expect(anonymous.headers.location).toBe('/login?next=%2Fwaitlist')
  })

  it('joining and leaving without the CSRF token are refused with 403', async () => {
    const me = await registerUser(app)
    const event = await soldOut('Guarded')
    const browser = await browserFor(app, me)
    await browser.get(`/events/${event.id}`)
    const join = await browser.post(`/events/${event.id}/waitlist`, {
      _csrf: null,
      section_id: String(event.sections[0]!.id),
      quantity: '1',
    })
    expect(join.statusCode).toBe(403)
    expect(await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, me.id))).toEqual(
      [],
    )
    await browser.post(`/events/${event.id}/waitlist`, {
      section_id: String(event.sections[0]!.id),
      quantity: '1',
    })
    const [entry] = await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.userId, me.id))
    expect((await browser.post(`/waitlist/${entry!.id}/leave`, { _csrf: null })).statusCode).toBe(403)
    expect(await statusOf(entry!.id)).toBe('waiting')
  })
})
