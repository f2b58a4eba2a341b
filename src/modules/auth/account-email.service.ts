// The e-mailed account flows: forgotten password, password reset, address verification.
import { eq } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import { users } from '../../db/schema/index.js'
import { assertPasswordStrong, hashPassword } from '../../lib/passwords.js'
import { queuePasswordReset } from '../../mail/queue.js'
import { revokeSessions } from './auth.service.js'
import { consumeUserToken, findUserToken, tokenInvalid, voidResetTokens } from './user-tokens.js'

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
