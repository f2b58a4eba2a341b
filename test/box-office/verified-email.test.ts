// REQUIRE_VERIFIED_EMAIL_TO_RESERVE: only buyers with a verified e-mail address may hold tickets.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { users } from '../../src/db/schema/index.js'
import { buildBoxOfficeApp, reserveAs, sectionCounts } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, problem, registerUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildBoxOfficeApp({ REQUIRE_VERIFIED_EMAIL_TO_RESERVE: 'true' })
})
afterAll(() => app?.close())

describe('REQUIRE_VERIFIED_EMAIL_TO_RESERVE', () => {
  it('when the buyer has not verified their e-mail, then 403 EMAIL_NOT_VERIFIED; once verified, 201', async () => {
    const organizer = await registerUser(app)
    const event = await makeEvent(app, organizer)
    const buyer = await registerUser(app)
    const section = event.sections[0].id
    const refused = await reserveAs(app, buyer, event.id, { section_id: section, quantity: 1 })
    expect(problem(refused)).toMatchObject({ status: 403, code: 'EMAIL_NOT_VERIFIED' })
    expect(await sectionCounts(app, section)).toMatchObject({ held: 0, heldTickets: 0 })

    await app.ctx.db.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, buyer.id))
    expect((await reserveAs(app, buyer, event.id, { section_id: section, quantity: 1 })).statusCode).toBe(201)
  })
})
