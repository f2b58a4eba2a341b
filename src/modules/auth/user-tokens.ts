// Single-use tokens mailed to people (address verification, password reset), stored only as a hash.
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { userTokens } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { hashOpaqueToken, newOpaqueToken } from '../../lib/tokens.js'

export type UserTokenPurpose = 'verify_email' | 'reset_password'

/** API.md: a reset link is valid for 30 minutes. */
export const RESET_TOKEN_TTL = 30 * 60

export const tokenInvalid = () =>
  new AppError('TOKEN_INVALID', 'The token is invalid, expired or already used', { status: 400 })

/** Creates a token for `email` and returns the only copy of its clear text (for the e-mail being sent). */
export async function issueUserToken(
  db: Db,
  input: { userId: number; purpose: UserTokenPurpose; email: string; ttlSeconds: number },
): Promise<string> {
  const { token, hash } = newOpaqueToken()
  await db.insert(userTokens).values({
    userId: input.userId,
    purpose: input.purpose,
    email: input.email,
    tokenHash: hash,
    expiresAt: new Date(Date.now() + input.ttlSeconds * 1000),
  })
  return token
}

/** The live token row, or TOKEN_INVALID (400) when it is used, expired, forged or for another purpose. */
export async function findUserToken(db: Db, purpose: UserTokenPurpose, token: string) {
  const [row] = await db.select().from(userTokens).where(liveToken(purpose, token))
  if (!row) throw tokenInvalid()
  return row
}

/**
 * Uses a token up. The conditional update is the single-use guard: of two concurrent requests with the
 * same token exactly one gets the row back.
 */
export async function consumeUserToken(db: Db, purpose: UserTokenPurpose, token: string) {
  const [row] = await db
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(liveToken(purpose, token))
    .returning()
  if (!row) throw tokenInvalid()
  return row
}

function liveToken(purpose: UserTokenPurpose, token: string) {
  return and(
    eq(userTokens.tokenHash, hashOpaqueToken(token)),
    eq(userTokens.purpose, purpose),
    isNull(userTokens.usedAt),
    gt(userTokens.expiresAt, new Date()),
  )
}

/** Ends every reset link of the account still in flight (after a reset or a password change). */
export async function voidResetTokens(db: Db, userId: number): Promise<void> {
  await db
    .update(userTokens)
    .set({ usedAt: new Date() })
    .where(
      and(eq(userTokens.userId, userId), eq(userTokens.purpose, 'reset_password'), isNull(userTokens.usedAt)),
    )
}

/**
 * Seconds left of the cooldown when a link for `purpose` was mailed to the account within the last `seconds`
 * (0 when none was): one reset e-mail, or one confirmation link asked for again, per address per cooldown.
 */
export async function mailCooldownLeft(
  db: Db,
  userId: number,
  purpose: UserTokenPurpose,
  seconds: number,
): Promise<number> {
  if (seconds <= 0) return 0
  const [row] = await db
    .select({
      left: sql<string>`ceil(${seconds} - extract(epoch from now() - max(${userTokens.createdAt})))`,
    })
    .from(userTokens)
    .where(
      and(
        eq(userTokens.userId, userId),
        eq(userTokens.purpose, purpose),
        gt(userTokens.createdAt, sql`now() - make_interval(secs => ${seconds})`),
      ),
    )
  return row?.left == null ? 0 : Math.max(1, Number(row.left))
}
