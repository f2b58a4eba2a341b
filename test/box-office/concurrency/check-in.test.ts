// One code scanned at many doors at once, on real PostgreSQL (PGlite has one connection, so nothing overlaps
// there): exactly one scan checks the ticket in. The control reads, then writes, and lets several through.
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { quickUsers, raceApp } from '../../factories/boxoffice.js'
import { checkInAs, codeOf, confirmedTicket } from '../../factories/checkin.js'
import { makeEvent } from '../../factories/events.js'
import { CONTROL_TIMEOUT_MS, untilRaceShows } from '../../factories/race.js'
import { type App, type TestUser, usingPostgres } from '../../helpers.js'

const onPostgres = it.skipIf(!usingPostgres())
const SCANS = 12

/** SCANS door scanners (the organizer and staff) send one ticket's code at the same moment. */
async function oneCodeManyScans(app: App) {
  const [organizer, buyer, ...doors] = (await quickUsers(app, 2 + SCANS - 1)) as TestUser[]
  const event = await makeEvent(app, organizer!)
  for (const door of doors) {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/staff`,
      headers: organizer!.auth,
      payload: { user_id: door.id },
    })
    if (res.statusCode !== 201) throw new Error(`staff failed: ${res.statusCode}`)
  }
  const ticket = await confirmedTicket(app, buyer!, event)
  const code = (await codeOf(app, buyer!, ticket.id))!
  const answers = await Promise.all([organizer!, ...doors].map((who) => checkInAs(app, who, event.id, code)))
  const list = await app.inject({
    method: 'GET',
    url: `/api/v1/events/${event.id}/check-ins`,
    headers: organizer!.auth,
  })
  return {
    created: answers.filter((r) => r.statusCode === 201).length,
    already: answers.filter((r) => r.statusCode === 409 && r.json().code === 'ALREADY_CHECKED_IN').length,
    checkedIn: list.json().checked_in as number,
  }
}

describe('check-in under concurrency', () => {
  const app = raceApp()
  onPostgres(`when ${SCANS} scanners send one code at once, then exactly one gets 201`, async () => {
    const race = await oneCodeManyScans(app())
    console.log(`check-in race (guarded): ${JSON.stringify(race)}`)
    expect(race).toEqual({ created: 1, already: SCANS - 1, checkedIn: 1 })
  })
})

describe('check-in under concurrency: control without the conditional update', () => {
  const app = raceApp('check-in')
  onPostgres(
    'when the check-in reads, then writes, then several scanners get 201 for one ticket (the race is real)',
    async () => {
      const race = await untilRaceShows(
        'check-in',
        () => oneCodeManyScans(app()),
        (r) => r.created > 1,
      )
      console.log(`check-in race (control, UNSAFE_DISABLE_GUARDS=check-in): ${JSON.stringify(race)}`)
      expect(race.created).toBeGreaterThan(1)
      await app().ctx.db.execute(sql`select 1`)
    },
    CONTROL_TIMEOUT_MS,
  )
})
