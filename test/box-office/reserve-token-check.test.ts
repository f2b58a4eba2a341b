// POST /events/{id}/reservations verifies the token's signature before anything else, and checks the token in
// the database with the reservation's first statement (reserve.service.ts, reserve): the batched write, where each
// reservation of a batch is checked with its own token, or, once this process holds the section for sold out,
// the read of the section. Every way a token stops holding must still refuse the reservation before anything is
// written or read out, in a section with room and in a section held for sold out, alone and in a batch.
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { revokedTokens, sessions, users } from '../../src/db/schema/index.js'
import { buildBoxOfficeApp, quickUsers, reserveAs, sectionCounts } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, problem, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser

beforeAll(async () => {
  app = await buildBoxOfficeApp()
  organizer = await registerUser(app)
})
afterAll(() => app.close())

const jtiOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).jti

/** A section of one place, sold, with a second buyer turned away: this process now holds it for sold out. */
async function soldOutSection() {
  const event = await makeEvent(app, organizer, { sections: [{ capacity: 1 }] })
  const section = event.sections[0].id
  const [first, second] = await quickUsers(app, 2)
  expect((await reserveAs(app, first!, event.id, { section_id: section, quantity: 1 })).statusCode).toBe(201)
  const refused = await reserveAs(app, second!, event.id, { section_id: section, quantity: 1 })
  expect([refused.statusCode, problem(refused).code]).toEqual([409, 'SOLD_OUT'])
  return { eventId: event.id, section }
}

async function sectionWithRoom() {
  const event = await makeEvent(app, organizer, { sections: [{ capacity: 5 }] })
  return { eventId: event.id, section: event.sections[0].id }
}

/** Each way a caller's token stops holding, applied to a fresh buyer: the headers that buyer then sends. */
const revocations: [string, () => Promise<Record<string, string>>][] = [
  [
    'its session logged out',
    async () => {
      const [buyer] = await quickUsers(app, 1)
      const out = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: buyer!.auth,
        payload: {},
      })
      expect(out.statusCode).toBe(204)
      return buyer!.auth
    },
  ],
  [
    'the token revoked on its own',
    async () => {
      const [buyer] = await quickUsers(app, 1)
      const jti = jtiOf(buyer!.accessToken)
      await app.ctx.db.insert(revokedTokens).values({ jti, expiresAt: new Date(Date.now() + 3_600_000) })
      return buyer!.auth
    },
  ],
  [
    'a session of another user',
    async () => {
      const [victim, intruder] = await quickUsers(app, 2)
      const [session] = await app.ctx.db
        .select({ id: sessions.id })
        .from(sessions)
        .where(eq(sessions.userId, victim!.id))
      const token = app.ctx.tokens.signAccess({
        userId: intruder!.id,
        sessionId: session!.id,
        role: 'user',
        fresh: true,
      })
      return { authorization: `Bearer ${token}` }
    },
  ],
  [
    'a session that never existed',
    async () => {
      const [buyer] = await quickUsers(app, 1)
      const token = app.ctx.tokens.signAccess({
        userId: buyer!.id,
        sessionId: randomUUID(),
        role: 'user',
        fresh: true,
      })
      return { authorization: `Bearer ${token}` }
    },
  ],
  [
    'its user deleted',
    async () => {
      const [buyer] = await quickUsers(app, 1)
      await app.ctx.db.delete(users).where(eq(users.id, buyer!.id))
      return buyer!.auth
    },
  ],
]

describe('POST /events/{id}/reservations checks the token in its own statement', () => {
  for (const [way, revoke] of revocations) {
    it(`refuses a token with ${way} with 401 TOKEN_REVOKED, with room or held for sold out, and writes nothing`, async () => {
      const room = await sectionWithRoom()
      const full = await soldOutSection()
      const auth = await revoke()
      for (const { eventId, section } of [room, full]) {
        const res = await reserveAs(app, { auth }, eventId, { section_id: section, quantity: 1 })
        expect([res.statusCode, problem(res).code], way).toEqual([401, 'TOKEN_REVOKED'])
      }
      // Another event's id, and one that does not exist, with the section held for sold out: still the token.
      for (const eventId of [room.eventId, 2_000_000_000]) {
        const res = await reserveAs(app, { auth }, eventId, { section_id: full.section, quantity: 1 })
        expect([res.statusCode, problem(res).code], way).toEqual([401, 'TOKEN_REVOKED'])
      }
      // With an Idempotency-Key, the key's own check refuses it.
      const keyed = await reserveAs(
        app,
        { auth },
        room.eventId,
        { section_id: room.section, quantity: 1 },
        { 'idempotency-key': randomUUID() },
      )
      expect([keyed.statusCode, problem(keyed).code], way).toEqual([401, 'TOKEN_REVOKED'])
      expect(await sectionCounts(app, room.section)).toMatchObject({ held: 0, heldTickets: 0 })
      expect(await sectionCounts(app, full.section)).toMatchObject({ held: 1, heldTickets: 1 })
    })
  }

  it('refuses only the reservations whose token no longer holds when they arrive together with others', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ capacity: 10 }] })
    const section = event.sections[0].id
    const valid = await quickUsers(app, 4)
    const revoked = await Promise.all(revocations.map(([, revoke]) => revoke()))
    // Interleaved, so that a batch holds both kinds.
    const callers = valid.flatMap((v, i) => [v.auth, revoked[i]!]).concat(revoked.slice(valid.length))
    const answers = await Promise.all(
      callers.map(async (auth) => {
        const res = await reserveAs(app, { auth }, event.id, { section_id: section, quantity: 2 })
        return res.statusCode === 201 ? 201 : `${res.statusCode} ${problem(res).code}`
      }),
    )
    expect(answers).toEqual(callers.map((auth) => (revoked.includes(auth) ? '401 TOKEN_REVOKED' : 201)))
    expect(await sectionCounts(app, section)).toMatchObject({ held: 8, heldTickets: 8 })
  })

  it('answers a token that holds as before: SOLD_OUT for the crowd, 404 for a section of another event or an event that does not exist, 201 where there is room', async () => {
    const room = await sectionWithRoom()
    const full = await soldOutSection()
    const [buyer] = await quickUsers(app, 1)
    const answer = async (eventId: number, section: number) => {
      const res = await reserveAs(app, buyer!, eventId, { section_id: section, quantity: 1 })
      return res.statusCode === 201 ? 201 : `${res.statusCode} ${problem(res).code}`
    }
    expect(await answer(full.eventId, full.section)).toBe('409 SOLD_OUT')
    expect(await answer(room.eventId, full.section)).toBe('404 NOT_FOUND')
    expect(await answer(2_000_000_000, full.section)).toBe('404 NOT_FOUND')
    expect(await answer(room.eventId, room.section)).toBe(201)
    expect(await sectionCounts(app, room.section)).toMatchObject({ held: 1, heldTickets: 1 })
  })
})
