// Hoarding: when an event sets no max_tickets_per_user, one account may hold at most MAX_HELD_TICKETS_PER_EVENT
// live (held, unpaid) tickets of it, on the batched path and the careful one alike; paying frees the room.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBoxOfficeApp, payAs, quickUsers, reserveAs, sectionCounts } from '../factories/boxoffice.js'
import { GENERAL_AND_VIP, makeEvent } from '../factories/events.js'
import { type App, problem, registerUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildBoxOfficeApp({ MAX_HELD_TICKETS_PER_EVENT: '5' })
})
afterAll(() => app?.close())

const codeOf = (r: { statusCode: number; json(): { code?: string } }) =>
  r.statusCode === 201 ? 201 : `${r.statusCode} ${r.json().code}`

describe('MAX_HELD_TICKETS_PER_EVENT', () => {
  it('when a buyer holds as many unpaid tickets as the cap, then one more is 409 TICKET_LIMIT_EXCEEDED', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const other = await makeEvent(app, organizer)
    const [buyer] = await quickUsers(app, 1)
    const [general, vip] = event.sections
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: general.id, quantity: 3 }))).toBe(201)
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: general.id, quantity: 3 }))).toBe(
      '409 TICKET_LIMIT_EXCEEDED',
    )
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: vip.id, quantity: 3 }))).toBe(
      '409 TICKET_LIMIT_EXCEEDED',
    )
    const second = await reserveAs(app, buyer!, event.id, { section_id: general.id, quantity: 2 })
    expect(codeOf(second)).toBe(201)
    const over = await reserveAs(app, buyer!, event.id, { section_id: general.id, quantity: 1 })
    expect(problem(over)).toMatchObject({ status: 409, code: 'TICKET_LIMIT_EXCEEDED' })
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: vip.id, quantity: 1 }))).toBe(
      '409 TICKET_LIMIT_EXCEEDED',
    )
    // Another event has its own cap.
    expect(
      codeOf(await reserveAs(app, buyer!, other.id, { section_id: other.sections[0].id, quantity: 5 })),
    ).toBe(201)
    expect(await sectionCounts(app, general.id)).toMatchObject({ held: 5, heldTickets: 5 })

    // Paid tickets are no longer held: the room comes back.
    expect((await payAs(app, buyer!, second.json().invoices[0].id)).statusCode).toBe(200)
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: vip.id, quantity: 2 }))).toBe(201)
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: general.id, quantity: 1 }))).toBe(
      '409 TICKET_LIMIT_EXCEEDED',
    )
  })

  it('when one request asks for more than the cap, then it is refused without anything held', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 50 }] })
    const [buyer] = await quickUsers(app, 1)
    const section = event.sections[0].id
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: section, quantity: 6 }))).toBe(
      '409 TICKET_LIMIT_EXCEEDED',
    )
    expect(await sectionCounts(app, section)).toMatchObject({ held: 0, heldTickets: 0 })
  })

  it('when requests of one buyer arrive together, then the tickets granted never pass the cap', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 50 }] })
    const [buyer] = await quickUsers(app, 1)
    const section = event.sections[0].id
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => reserveAs(app, buyer!, event.id, { section_id: section, quantity: 2 })),
    )
    expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(2)
    expect(answers.filter((r) => codeOf(r) === '409 TICKET_LIMIT_EXCEEDED')).toHaveLength(4)
    expect(await sectionCounts(app, section)).toMatchObject({ held: 4, heldTickets: 4 })
  })

  it('when the event sets its own max_tickets_per_user, then that limit applies instead of the cap', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer, { max_tickets_per_user: 8, sections: [{ capacity: 50 }] })
    const [buyer] = await quickUsers(app, 1)
    const section = event.sections[0].id
    expect(codeOf(await reserveAs(app, buyer!, event.id, { section_id: section, quantity: 7 }))).toBe(201)
  })
})
