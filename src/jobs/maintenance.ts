// Purges of rows that have outlived their use. Each returns how many rows it removed.
import { and, inArray, lt, sql } from 'drizzle-orm'
import type { Ctx } from '../context.js'
import { mailDeliveries, refreshTokens, revokedTokens, sessions, userTokens } from '../db/schema/index.js'
import { purgeIdempotencyKeys as purgeExpiredKeys } from '../lib/idempotency.js'

/**
 * Revoked access-token ids past their expiry (the token is refused by its `exp` anyway), sessions past
 * their expiry, revoked or not (their refresh tokens cascade), refresh tokens past expiry, and mailed
 * one-time tokens past expiry. Used refresh tokens of a live session stay: replaying one must still
 * revoke the family.
 */
export async function purgeExpiredTokens(ctx: Ctx): Promise<number> {
  const now = new Date()
  return ctx.db.transaction(async (tx) => {
    const revoked = await tx
      .delete(revokedTokens)
      .where(lt(revokedTokens.expiresAt, now))
      .returning({ jti: revokedTokens.jti })
    const ended = await tx.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id })
    const refresh = await tx
      .delete(refreshTokens)
      .where(lt(refreshTokens.expiresAt, now))
      .returning({ id: refreshTokens.id })
    const mailed = await tx
      .delete(userTokens)
      .where(lt(userTokens.expiresAt, now))
      .returning({ id: userTokens.id })
    return revoked.length + ended.length + refresh.length + mailed.length
  })
}

/** Idempotency keys answer replays for 24 hours (API.md); older ones only take space. */
export const purgeIdempotencyKeys = (ctx: Ctx): Promise<number> => purgeExpiredKeys(ctx.db)

/**
 * Finished sent-log rows once their job can no longer come back: a completed job is never redelivered,
 * and a dead-lettered one stays retryable for 30 days (see `createBoss`), so 35 days is safe.
 */
export async function purgeMailLog(ctx: Ctx): Promise<number> {
  const deleted = await ctx.db
    .delete(mailDeliveries)
    .where(
      and(
        inArray(mailDeliveries.status, ['sent', 'skipped']),
        lt(mailDeliveries.finishedAt, sql`now() - interval '35 days'`),
      ),
    )
    .returning({ cause: mailDeliveries.cause })
  return deleted.length
}
