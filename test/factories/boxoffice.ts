// Box-office test helpers: the app, buyers written straight to the database (registering dozens through the
// API would spend argon2 time the tests are not about), a lapsed hold (the API cannot move time), the section
// counters, and the reservation and payment calls. Friendships come from factories/social.ts (makeFriends),
// events and their sections from factories/events.ts, both through the API.
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll } from 'vitest'
import { invoices, reservations, sections, sessions, tickets, users } from '../../src/db/schema/index.js'
import { type App, buildTestApp, type TestUser, usingPostgres } from '../helpers.js'

/** The section's counters as stored, and the live tickets counted from the ticket rows. */
export async function sectionCounts(app: App, sectionId: number) {
  const [counters] = await app.ctx.db.select().from(sections).where(eq(sections.id, sectionId))
  const [live] = await app.ctx.db
    .select({
      held: sql<number>`count(*) filter (where ${tickets.status} = 'held')::int`,
      confirmed: sql<number>`count(*) filter (where ${tickets.status} = 'confirmed')::int`,
    })
    .from(tickets)
    .where(eq(tickets.sectionId, sectionId))
  return {
    held: counters!.held,
    sold: counters!.sold,
    heldTickets: live!.held,
    confirmedTickets: live!.confirmed,
  }
}

/** Moves a reservation and its invoices into the past, as if RESERVATION_TTL had run out. */
export async function lapseReservation(app: App, reservationId: number): Promise<void> {
  const past = new Date(Date.now() - 1000)
  await app.ctx.db.update(reservations).set({ expiresAt: past }).where(eq(reservations.id, reservationId))
  await app.ctx.db.update(invoices).set({ dueAt: past }).where(eq(invoices.reservationId, reservationId))
}

/**
 * A test app for box-office tests. The event-loop-delay shedding is off: on a loaded 2-core machine,
 * loading the database snapshot can stall the loop for over a second and shed the first requests with 503.
 */
export function buildBoxOfficeApp(env: Record<string, string> = {}): Promise<App> {
  return buildTestApp({ MAX_EVENT_LOOP_DELAY: '0', ...env })
}

/**
 * For the concurrency tests, which run on PostgreSQL only: a box-office app for the enclosing suite (built in
 * its beforeAll, closed in its afterAll), with the guards named in `guards` switched off for a control test.
 */
export function raceApp(guards = '', poolMax = 20): () => App {
  let app: App | undefined
  beforeAll(async () => {
    if (usingPostgres()) {
      app = await buildBoxOfficeApp({ DATABASE_POOL_MAX: String(poolMax), UNSAFE_DISABLE_GUARDS: guards })
    }
  })
  afterAll(() => app?.close())
  return () => app!
}

let quick = 0

/**
 * `n` users with signed-in access tokens, written straight to the database: concurrency tests need dozens
 * of buyers, and registering each through the API spends argon2 time the tests are not about.
 */
export async function quickUsers(app: App, n: number): Promise<TestUser[]> {
  const db = app.ctx.db
  const tag = `${process.pid}_${Date.now() % 100_000}`
  const rows = await db
    .insert(users)
    .values(
      Array.from({ length: n }, () => {
        const username = `q${tag}_${++quick}`
        return {
          username,
          email: `${username}@example.com`,
          passwordHash: 'not-a-hash',
          displayName: username,
        }
      }),
    )
    .returning()
  const expiresAt = new Date(Date.now() + 86_400_000)
  const opened = await db
    .insert(sessions)
    .values(rows.map((u) => ({ userId: u.id, expiresAt })))
    .returning()
  return rows.map((u) => {
    const session = opened.find((s) => s.userId === u.id)!
    const accessToken = app.ctx.tokens.signAccess({
      userId: u.id,
      sessionId: session.id,
      role: 'user',
      fresh: true,
    })
    return {
      id: u.id,
      username: u.username,
      email: u.email,
      password: '',
      accessToken,
      refreshToken: '',
      auth: { authorization: `Bearer ${accessToken}` },
    }
  })
}

/** A user made an admin in the database (the role is read from there on every request). */
export async function quickAdmin(app: App): Promise<TestUser> {
  const [admin] = await quickUsers(app, 1)
  await app.ctx.db.update(users).set({ role: 'admin' }).where(eq(users.id, admin!.id))
  return admin!
}

type Headers = Record<string, string>

/** POST /events/{id}/reservations as `user`. */
export function reserveAs(
  app: App,
  user: { auth: Headers },
  eventId: number,
  body: object,
  headers: Headers = {},
) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/events/${eventId}/reservations`,
    headers: { ...user.auth, ...headers },
    payload: body,
  })
}

/** POST /invoices/{id}/pay as `user`. */
export function payAs(
  app: App,
  user: { auth: Headers },
  invoiceId: number,
  paymentMethod = 'test_ok',
  headers: Headers = {},
) {
  return app.inject({
    method: 'POST',
    url: `/api/v1/invoices/${invoiceId}/pay`,
    headers: { ...user.auth, ...headers },
    payload: { payment_method: paymentMethod },
  })
}

/** GET `url` as `user`, parsed. */
export async function getAs(app: App, user: { auth: Headers }, url: string) {
  const res = await app.inject({ method: 'GET', url: `/api/v1${url}`, headers: user.auth })
  return { status: res.statusCode, body: res.json() }
}
