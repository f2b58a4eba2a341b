// The waiting list served by the job queue's own worker: places that come back enqueue a job in the freeing
// transaction, and an in-process worker runs it.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { waitlistEntries } from '../../src/db/schema/index.js'
import { expireStaleHolds } from '../../src/modules/box-office/expire-holds.service.js'
import { buildBoxOfficeApp, lapseReservation, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { joinAs } from '../factories/waitlist.js'
import type { App, TestUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildBoxOfficeApp({ WORKERS_IN_PROCESS: 'true' })
})
afterAll(() => app.close())

it('when a hold lapses and the sweep gives its place back, then the worker offers it to the first entry', async () => {
  const [organizer, holder, waiting] = (await quickUsers(app, 3)) as [TestUser, TestUser, TestUser]
  const event = await makeEvent(app, organizer, { sections: [{ capacity: 1 }] })
  const section = event.sections[0]!
  const hold = (await reserveAs(app, holder, event.id, { section_id: section.id })).json()
  const entry = (await joinAs(app, waiting, event.id, { section_id: section.id, quantity: 1 })).json()
  await lapseReservation(app, hold.id)
  await expireStaleHolds(app.ctx)
  let status = 'waiting'
  for (let i = 0; i < 60 && status === 'waiting'; i++) {
    await new Promise((r) => setTimeout(r, 250))
    const [row] = await app.ctx.db.select().from(waitlistEntries).where(eq(waitlistEntries.id, entry.id))
    status = row!.status
  }
  expect(status).toBe('offered')
})
