// Scheduled purges remove what has outlived its use, and keep what is still needed.
import { randomUUID } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  idempotencyKeys,
  mailDeliveries,
  refreshTokens,
  revokedTokens,
  sessions,
  userTokens,
} from '../../src/db/schema/index.js'
import { purgeExpiredTokens, purgeIdempotencyKeys, purgeMailLog } from '../../src/jobs/maintenance.js'
import { SCHEDULED_JOBS } from '../../src/jobs/schedules.js'
import { type App, buildTestApp, registerUser } from '../helpers.js'
import { waitUntil } from '../mail/inbox.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp({ WORKERS_IN_PROCESS: 'true', JOBS_SCHEDULES_ENABLED: 'true' })
})
afterAll(() => app?.close())

const past = () => new Date(Date.now() - 60_000)
const future = () => new Date(Date.now() + 3_600_000)

describe('purgeExpiredTokens', () => {
  it('removes expired revoked jtis, sessions, refresh tokens and mailed tokens; keeps live ones', async () => {
    const user = await registerUser(app)
    const db = app.ctx.db
    await db.insert(revokedTokens).values([
      { jti: `old-${randomUUID()}`, expiresAt: past() },
      { jti: `live-${randomUUID()}`, expiresAt: future() },
    ])
    const [ended] = await db
      .insert(sessions)
      .values({ userId: user.id, expiresAt: past(), revokedAt: past() })
      .returning()
    await db
      .insert(refreshTokens)
      .values({ sessionId: ended!.id, tokenHash: randomUUID(), expiresAt: past() })
    await db.insert(userTokens).values([
      {
        userId: user.id,
        purpose: 'reset_password',
        tokenHash: randomUUID(),
        email: user.email,
        expiresAt: past(),
      },
      {
        userId: user.id,
        purpose: 'reset_password',
        tokenHash: randomUUID(),
        email: user.email,
        expiresAt: future(),
      },
    ])

    // jti + session + mailed token; the session's refresh token goes with it by cascade.
    expect(await purgeExpiredTokens(app.ctx)).toBe(3)
    expect(await db.select().from(refreshTokens).where(eq(refreshTokens.sessionId, ended!.id))).toEqual([])
    expect(await db.select().from(revokedTokens).where(sql`${revokedTokens.expiresAt} < now()`)).toEqual([])
    expect(await db.select().from(sessions).where(eq(sessions.id, ended!.id))).toEqual([])
    expect(await db.select().from(userTokens).where(sql`${userTokens.expiresAt} < now()`)).toEqual([])
    // The user's live session (from registration) and its refresh token stay.
    const live = await db.select().from(sessions).where(eq(sessions.userId, user.id))
    expect(live).toHaveLength(1)
    expect(
      await db.select().from(refreshTokens).where(eq(refreshTokens.sessionId, live[0]!.id)),
    ).toHaveLength(1)
    expect((await db.select().from(revokedTokens)).length).toBeGreaterThanOrEqual(1)
  })
})

describe('purgeIdempotencyKeys and purgeMailLog', () => {
  it('drop idempotency keys older than 24 hours and finished sent-log rows older than 35 days', async () => {
    const user = await registerUser(app)
    const db = app.ctx.db
    await db.insert(idempotencyKeys).values([
      { userId: user.id, key: 'old', requestHash: 'h', createdAt: new Date(Date.now() - 25 * 3600_000) },
      { userId: user.id, key: 'new', requestHash: 'h' },
    ])
    const long = new Date(Date.now() - 40 * 86_400_000)
    await db.insert(mailDeliveries).values([
      { cause: 'old-sent', kind: 'x', status: 'sent', claimedUntil: long, finishedAt: long },
      { cause: 'old-claim', kind: 'x', status: 'sending', claimedUntil: long },
    ])
    expect(await purgeIdempotencyKeys(app.ctx)).toBe(1)
    expect((await db.select().from(idempotencyKeys)).map((k) => k.key)).toEqual(['new'])
    expect(await purgeMailLog(app.ctx)).toBe(1)
    const causes = (await db.select().from(mailDeliveries)).map((d) => d.cause)
    expect(causes).toContain('old-claim')
    expect(causes).not.toContain('old-sent')
  })
})

describe('schedules', () => {
  it('every scheduled job is registered with pg-boss under its cron', async () => {
    const rows = await waitUntil(async () => {
      const { rows } = (await app.ctx.db.execute(
        sql`select name, cron from pgboss.schedule order by name`,
      )) as unknown as {
        rows: { name: string; cron: string }[]
      }
      return rows.length === SCHEDULED_JOBS.length ? rows : undefined
    })
    expect(rows).toEqual(
      [...SCHEDULED_JOBS]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(({ name, cron }) => ({ name, cron })),
    )
  })
})
