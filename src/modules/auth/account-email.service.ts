// The e-mailed account flows: forgotten password, password reset, address verification.
import { eq } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import { users } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { assertPasswordStrong, hashPassword } from '../../lib/passwords.js'
import { queuePasswordReset, queueVerifyEmail } from '../../mail/queue.js'
import { revokeSessions } from './auth.service.js'
import {
  consumeUserToken,
  findUserToken,
  mailCooldownLeft,
  tokenInvalid,
  type UserTokenPurpose,
  voidResetTokens,
} from './user-tokens.js'

/**
 * Always the same work and the same answer: one job, whether or not the address belongs to anyone, so
 * neither the response nor its timing tells. The worker looks the address up and mints the token.
 */
export async function requestPasswordReset(ctx: Ctx, input: { email: string }): Promise<void> {
  await queuePasswordReset(ctx.db, ctx, { email: input.email.trim() })
}

/** Sets a new password from a mailed token; every session of the account ends. */
export async function resetPassword(ctx: Ctx, input: { token: string; password: string }): Promise<void> {
  const token = await findUserToken(ctx.db, 'reset_password', input.token)
  const [user] = await ctx.db.select().from(users).where(eq(users.id, token.userId))
  // A link mailed to an address the account no longer has is void.
  if (!user || user.email.toLowerCase() !== token.email.toLowerCase()) throw tokenInvalid()
  // Checked before the token is used up, so a weak choice can be corrected with the same link.
  assertPasswordStrong(input.password, { username: user.username, email: user.email })
  const passwordHash = await hashPassword(input.password)
  await ctx.db.transaction(async (tx) => {
    await consumeUserToken(tx, 'reset_password', input.token)
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, user.id))
    await revokeSessions(tx, user.id)
    // Other reset links still in flight would undo this reset; they end with it.
    await voidResetTokens(tx, user.id)
  })
}

/** Confirms the address a verification token was mailed to, if it is still the account's address. */
export async function verifyEmail(ctx: Ctx, input: { token: string }): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const token = await consumeUserToken(tx, 'verify_email', input.token)
    const [user] = await tx.select().from(users).where(eq(users.id, token.userId))
    if (!user || user.email.toLowerCase() !== token.email.toLowerCase()) throw tokenInvalid()
    if (!user.emailVerifiedAt) {
      await tx.update(users).set({ emailVerifiedAt: new Date() }).where(eq(users.id, user.id))
    }
  })
}

/**
 * Mails a new confirmation link to the account's address, when it is not confirmed yet (409
 * EMAIL_ALREADY_VERIFIED otherwise). One per EMAIL_VERIFY_COOLDOWN: asking again within it is 429 with the
 * seconds left in Retry-After. Earlier links stay valid until they expire.
 */
export async function resendVerification(ctx: Ctx, userId: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    // The row lock orders two asks of one account; the worker mints under the same lock (mail/messages.ts).
    const [user] = await tx
      .select({ email: users.email, verifiedAt: users.emailVerifiedAt })
      .from(users)
      .where(eq(users.id, userId))
      .for('update')
    if (!user) throw new AppError('NOT_FOUND', 'The account no longer exists')
    if (user.verifiedAt !== null) {
      throw new AppError('EMAIL_ALREADY_VERIFIED', 'Your e-mail address is already confirmed')
    }
    const left = await mailCooldownLeft(tx, userId, 'verify_email', ctx.config.EMAIL_VERIFY_COOLDOWN)
    if (left > 0) {
      throw new AppError(
        'RATE_LIMITED',
        `A confirmation link was mailed moments ago: check your inbox, or ask again in ${left} seconds`,
        // The limit that refused it, in the RateLimit-* headers too (not the general one the request passed).
        {
          headers: {
            'retry-after': String(left),
            'ratelimit-limit': '1',
            'ratelimit-remaining': '0',
            'ratelimit-reset': String(left),
          },
        },
      )
    }
    await queueVerifyEmail(tx, ctx, { userId, email: user.email, welcome: false, again: true })
  })
}

/**
 * Whether a mailed link can still be used: live, and for the address the account has now. Uses nothing up, so
 * a page can say so when the link is opened rather than after a form is filled in.
 */
export async function mailedLinkIsLive(ctx: Ctx, purpose: UserTokenPurpose, token: string): Promise<boolean> {
  if (token === '' || token.length > 512) return false
  try {
    const row = await findUserToken(ctx.db, purpose, token)
    const [user] = await ctx.db.select({ email: users.email }).from(users).where(eq(users.id, row.userId))
    return user !== undefined && user.email.toLowerCase() === row.email.toLowerCase()
  } catch (err) {
    if (err instanceof AppError && err.code === 'TOKEN_INVALID') return false
    throw err
  }
}
