// The default cap on live holds (MAX_HELD_TICKETS_PER_EVENT, 10 by default) against one buyer's requests in
// flight together, on the batched statement and the careful path alike; and its control, with the per-(event,
// user) lock taken out, which lets them pass the cap.
import { describe, expect, it } from 'vitest'
import { quickUsers, raceApp, reserveAs, sectionCounts } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { CONTROL_TIMEOUT_MS, untilRaceShows } from '../../factories/race.js'
import { type App, registerUser, usingPostgres } from '../../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())
const CAP = 10

/** 25 requests of one ticket each, by one buyer, at once, in a general section of 100. */
async function oneBuyerAtOnce(app: App) {
  const organizer = await registerUser(app)
  const event = await makeEvent(app, organizer, { sections: [{ capacity: 100 }] })
  const [buyer] = await quickUsers(app, 1)
  const section = event.sections[0].id
  const answers = await Promise.all(
    Array.from({ length: 25 }, () => reserveAs(app, buyer!, event.id, { section_id: section, quantity: 1 })),
  )
  return { answers, counts: await sectionCounts(app, section) }
}

describe('MAX_HELD_TICKETS_PER_EVENT under concurrency', () => {
  const app = raceApp()
  onPostgres('when one buyer sends 25 requests at once, then exactly the cap of 10 is granted', async () => {
    const { answers, counts } = await oneBuyerAtOnce(app())
    expect(answers.filter((r) => r.statusCode === 201)).toHaveLength(CAP)
    const refused = answers.filter((r) => r.statusCode !== 201).map((r) => r.json().code)
    expect(refused).toEqual(Array(25 - CAP).fill('TICKET_LIMIT_EXCEEDED'))
    expect(counts).toMatchObject({ held: CAP, heldTickets: CAP })
  })
})

describe('control: the hold cap with the per-user lock disabled', () => {
  const app = raceApp('ticket-limit')
  onPostgres(
    'when the holds are counted without the lock, then one buyer holds more than the cap',
    async () => {
      const { answers, counts } = await untilRaceShows(
        'ticket-limit',
        () => oneBuyerAtOnce(app()),
        (r) => r.answers.filter((a) => a.statusCode === 201).length > CAP,
      )
      const granted = answers.filter((r) => r.statusCode === 201).length
      console.info(`control: one buyer got ${granted} tickets with a cap of ${CAP}`)
      expect(granted).toBeGreaterThan(CAP)
      expect(counts.heldTickets).toBe(granted)
    },
    CONTROL_TIMEOUT_MS,
  )
})
