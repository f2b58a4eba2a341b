// GET /posts checks the reader's access token inside its page statement (posts.list.ts, one round trip), not
// in the guard's own statement first: every way a token stops holding must still refuse the page, and the
// reader's role must still be the one the database holds now, not the one the token was signed with.
import { randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { revokedTokens, sessions, users } from '../../src/db/schema/index.js'
import { makeEvent } from '../factories/events.js'
import { makePost } from '../factories/social.js'
import { type App, buildTestApp, login, problem, registerUser, type TestUser } from '../helpers.js'

let app: App
let organizer: TestUser
let draftId: number
let publishedId: number

beforeAll(async () => {
  app = await buildTestApp()
  organizer = await registerUser(app)
  draftId = (await makeEvent(app, organizer, { title: 'Unannounced', status: 'draft' })).id
  publishedId = (await makeEvent(app, organizer, { title: 'Announced' })).id
  await makePost(app, organizer, { body: 'Soon: a secret show', event_id: draftId })
  await makePost(app, organizer, { body: 'On sale now', event_id: publishedId })
})
afterAll(() => app.close())

const list = (authorization: string, query = '') =>
  app.inject({ method: 'GET', url: `/api/v1/posts${query}`, headers: { authorization } })

/** Every shape of the list: the plain page, each filter, a deep page, a page past the end. */
const shapes = () => [
  '',
  `?author_id=${organizer.id}`,
  '?q=secret',
  `?event_id=${publishedId}`,
  '?sort=-like_count&per_page=1&page=2',
  '?page=50',
]

const sessionsOf = (who: TestUser) =>
  app.ctx.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, who.id))

const jtiOf = (token: string): string =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).jti

describe('GET /posts checks the token in its own statement', () => {
  it('answers every shape for a token that holds', async () => {
    const reader = await registerUser(app)
    for (const query of shapes()) {
      const res = await list(reader.auth.authorization, query)
      expect(res.statusCode, query).toBe(200)
    }
  })

  it('refuses every shape with 401 TOKEN_REVOKED once the session is logged out, and sends no posts', async () => {
    const reader = await registerUser(app)
    const out = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: reader.auth,
      payload: {},
    })
    expect(out.statusCode).toBe(204)
    for (const query of shapes()) {
      const res = await list(reader.auth.authorization, query)
      expect([res.statusCode, problem(res).code], query).toEqual([401, 'TOKEN_REVOKED'])
      expect(res.body).not.toContain('On sale now')
    }
  })

  it('refuses a token revoked on its own while its session and the other tokens of that session hold', async () => {
    const reader = await registerUser(app)
    const again = await login(app, reader)
    await app.ctx.db
      .insert(revokedTokens)
      .values({ jti: jtiOf(reader.accessToken), expiresAt: new Date(Date.now() + 3_600_000) })
    for (const query of shapes()) {
      const res = await list(reader.auth.authorization, query)
      expect([res.statusCode, problem(res).code], query).toEqual([401, 'TOKEN_REVOKED'])
    }
    expect((await list(again.auth.authorization)).statusCode).toBe(200)
  })

  it('refuses a validly signed token that names another user’s session, or a session that never existed', async () => {
    const victim = await registerUser(app)
    const intruder = await registerUser(app)
    const [victimSession] = await sessionsOf(victim)
    expect(victimSession).toBeDefined()
    for (const sessionId of [victimSession!.id, randomUUID()]) {
      const token = app.ctx.tokens.signAccess({ userId: intruder.id, sessionId, role: 'user', fresh: true })
      const res = await list(`Bearer ${token}`)
      expect([res.statusCode, problem(res).code]).toEqual([401, 'TOKEN_REVOKED'])
    }
  })

  it('refuses the token of a user who no longer exists', async () => {
    const gone = await registerUser(app)
    await app.ctx.db.delete(users).where(eq(users.id, gone.id))
    const res = await list(gone.auth.authorization)
    expect([res.statusCode, problem(res).code]).toEqual([401, 'TOKEN_REVOKED'])
  })

  it('shows a draft’s event by the role the database holds now, whatever role the token was signed with', async () => {
    const draftEvent = async (who: TestUser) => {
      const res = await list(who.auth.authorization, `?author_id=${organizer.id}&q=secret`)
      expect(res.statusCode).toBe(200)
      const [post] = res.json().data
      return post.event === null ? null : post.event.id
    }
    const staff = await registerUser(app)
    expect(await draftEvent(staff)).toBeNull()
    await app.ctx.db.update(users).set({ role: 'admin' }).where(eq(users.id, staff.id))
    expect(await draftEvent(staff)).toBe(draftId)
    await app.ctx.db.update(users).set({ role: 'user' }).where(eq(users.id, staff.id))
    expect(await draftEvent(staff)).toBeNull()
    // A token signed as an admin does not make its bearer one.
    const claimed = await registerUser(app)
    const [session] = await sessionsOf(claimed)
    const token = app.ctx.tokens.signAccess({
      userId: claimed.id,
      sessionId: session!.id,
      role: 'admin',
      fresh: true,
    })
    expect(await draftEvent({ ...claimed, auth: { authorization: `Bearer ${token}` } })).toBeNull()
    expect(await draftEvent(organizer)).toBe(draftId)
  })
})
