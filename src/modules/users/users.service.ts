// Profiles, the user directory, password changes, account deletion and the admin's role changes.
import { asc, count, desc, eq, like, type SQL, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import { userCounts, users } from '../../db/schema/index.js'
import { AppError, notFound } from '../../lib/errors.js'
import { type PageParams, parseSort, toPage } from '../../lib/pagination.js'
import { assertPasswordStrong, hashPassword, verifyPassword } from '../../lib/passwords.js'
import { containsPattern } from '../../lib/schemas.js'
import { queueEmailChanged, queueVerifyEmail } from '../../mail/queue.js'
import { revokeSessions, startSession, takenError } from '../auth/auth.service.js'
import { voidResetTokens } from '../auth/user-tokens.js'
import { removeAvatarFile } from '../avatars/avatar-files.js'
import { cancelEventsOf } from '../box-office/cancel-event.service.js'
import { lapseHoldsOfPayer } from '../box-office/expire-holds.service.js'
import { giveBackTicketsOfHolder } from '../box-office/refund.service.js'
import { profileColumns, toOwnUser, toPublicUser } from './users.schemas.js'

export async function getUserRow(ctx: Ctx, id: number) {
  const [user] = await ctx.db.select().from(users).where(eq(users.id, id))
  if (!user) throw notFound('User')
  return user
}

/** A user by username (case-insensitive, as usernames are unique), or 404. */
export async function getUserByUsername(ctx: Ctx, username: string) {
  const [user] = await ctx.db
    .select(profileColumns(users))
    .from(users)
    .where(eq(sql`lower(${users.username})`, username.toLowerCase()))
  if (!user) throw notFound('User')
  return toPublicUser(ctx.config, user)
}

export async function getOwnProfile(ctx: Ctx, actor: Actor) {
  return toOwnUser(ctx.config, await getUserRow(ctx, actor.id))
}

export async function getPublicProfile(ctx: Ctx, id: number) {
  const [user] = await ctx.db.select(profileColumns(users)).from(users).where(eq(users.id, id))
  if (!user) throw notFound('User')
  return toPublicUser(ctx.config, user)
}

export async function listUsers(ctx: Ctx, query: { q?: string; sort?: string }, page: PageParams) {
  const { field, desc: descending } = parseSort<'username' | 'created_at'>(query.sort, 'username')
  const shape = `users:${query.q ? 'q' : 'all'}:${descending ? '-' : ''}${field}`
  const values = { q: query.q ? containsPattern(query.q) : null }
  return pageOfPublicUsers(ctx, shape, values, page, () => {
    const searchable = sql`lower(${users.username} || ' ' || ${users.displayName})`
    const dir = descending ? desc : asc
    return {
      where: query.q ? like(searchable, sql.placeholder('q')) : undefined,
      order:
        field === 'username' ? [dir(sql`lower(${users.username})`)] : [dir(users.createdAt), dir(users.id)],
    }
  })
}

/**
 * The number of users `where` picks. Every user (no condition): the counter kept by triggers (`user_counts`),
 * one primary-key read instead of a count over the table.
 */
function usersTotal(d: Db, where: SQL | undefined) {
  return where
    ? d.select({ n: count() }).from(users).where(where).$dynamic()
    : d.select({ n: userCounts.users }).from(userCounts).where(eq(userCounts.id, 0)).$dynamic()
}

/**
 * One page of the users a `shape` picks, in its order, as public profiles, with the total. `build` makes the
 * shape's condition and order once, with `sql.placeholder`s for what `values` binds (`preparedPage`).
 */
export async function pageOfPublicUsers(
  ctx: Ctx,
  shape: string,
  values: Record<string, unknown>,
  page: PageParams,
  build: (db: Db) => { where: SQL | undefined; order: SQL[] },
) {
  const { rows, total } = await preparedPage(ctx.db, shape, page, values, (d) => {
    const { where, order } = build(d)
    return {
      rows: d
        .select(profileColumns(users))
        .from(users)
        .where(where)
        .orderBy(...order)
        .$dynamic(),
      total: usersTotal(d, where),
    }
  })
  return toPage(
    rows.map((u) => toPublicUser(ctx.config, u)),
    total[0]?.n ?? 0,
    page,
  )
}

export async function updateOwnProfile(
  ctx: Ctx,
  actor: Actor,
  input: { display_name?: string; bio?: string; username?: string; email?: string },
) {
  const current = await getUserRow(ctx, actor.id)
  const emailChanges =
    input.email !== undefined && input.email.trim().toLowerCase() !== current.email.toLowerCase()
  if (emailChanges && !actor.fresh) {
    throw new AppError('FRESH_TOKEN_REQUIRED', 'Changing the email address needs a fresh token: log in again')
  }
  try {
    const user = await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .update(users)
        .set({
          displayName: input.display_name,
          bio: input.bio,
          username: input.username,
          ...(emailChanges ? { email: input.email!.trim(), emailVerifiedAt: null } : {}),
          updatedAt: new Date(),
        })
        .where(eq(users.id, actor.id))
        .returning()
      if (emailChanges) {
        await queueVerifyEmail(tx, ctx, { userId: row!.id, email: row!.email, welcome: false })
        await queueEmailChanged(tx, ctx, { userId: row!.id, oldEmail: current.email, newEmail: row!.email })
      }
      return row!
    })
    return toOwnUser(ctx.config, user)
  } catch (err) {
    throw takenError(uniqueViolation(err)) ?? err
  }
}

/** INVALID_CREDENTIALS unless `password` is the actor's current password (re-authentication before a change). */
export async function confirmOwnPassword(ctx: Ctx, actor: Actor, password: string): Promise<void> {
  const user = await getUserRow(ctx, actor.id)
  if (!(await verifyPassword(user.passwordHash, password))) {
    throw new AppError('INVALID_CREDENTIALS', 'The current password is wrong')
  }
}

/** Changes the password; every other session ends, the caller's own keeps working. */
/**
 * Changes the actor's password and signs out their other sessions. With `renew` (a browser's session, whose id
 * is its cookie), the actor's own session is replaced too, in the same transaction: a copy of the cookie taken
 * before the change, often the reason for it, stops working with the rest. Returns the new session's id then.
 */
export async function changePassword(
  ctx: Ctx,
  actor: Actor,
  input: { current_password: string; new_password: string },
  renew?: { userAgent?: string },
): Promise<string | undefined> {
  await confirmOwnPassword(ctx, actor, input.current_password)
  const user = await getUserRow(ctx, actor.id)
  assertPasswordStrong(input.new_password, { username: user.username, email: user.email }, 'new_password')
  const passwordHash = await hashPassword(input.new_password)
  return ctx.db.transaction(async (tx) => {
    await tx.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, actor.id))
    await revokeSessions(tx, actor.id, renew ? undefined : actor.sessionId)
    // A reset link mailed before the change would undo it.
    await voidResetTokens(tx, actor.id)
    return renew ? startSession(tx, ctx, actor.id, renew.userAgent) : undefined
  })
}

/**
 * Refuses (409 LAST_ADMIN) a change that would leave the site with no admin: `id` is an admin and no other admin
 * is left. The admin rows are locked first (`for update`), in id order, so two admins demoting or deleting
 * each other at once are serialised: the second reads the first's change and is refused.
 */
async function keepAnAdmin(tx: Db, id: number): Promise<void> {
  const admins = await tx
    .select({ id: users.id })
    .from(users)
    .where(eq(users.role, 'admin'))
    .orderBy(asc(users.id))
    .for('update')
  if (admins.some((a) => a.id === id) && admins.length <= 1) {
    throw new AppError(
      'LAST_ADMIN',
      'This is the only admin: make someone else an admin first, so the site keeps one.',
    )
  }
}

/**
 * Deletes an account: sessions and social content cascade; money rows keep their history without the person.
 * The tickets it holds for events still to come are given back (refunded to whoever paid).
 * The last admin's account is not deleted (409 LAST_ADMIN).
 */
export async function deleteUser(ctx: Ctx, id: number): Promise<void> {
  const deleted = await ctx.db.transaction(async (tx) => {
    await keepAnAdmin(tx, id)
    // Events still to come that nobody could manage any more are cancelled, their buyers refunded and told;
    // first, as a cancellation locks the event before its invoices.
    await cancelEventsOf(ctx, tx, id)
    // Holds only this account could pay would keep their places from everyone until they lapsed.
    await lapseHoldsOfPayer(ctx, tx, id)
    // Tickets held for events still to come: nobody else could use or refund them, so they go back, refunded
    // to whoever paid.
    await giveBackTicketsOfHolder(ctx, tx, id)
    const [row] = await tx
      .delete(users)
      .where(eq(users.id, id))
      .returning({ id: users.id, avatarPath: users.avatarPath })
    return row
  })
  if (!deleted) throw notFound('User')
  await removeAvatarFile(ctx.config, deleted.avatarPath)
}

/** Sets a user's role; demoting the last admin is refused (409 LAST_ADMIN). */
export async function setRole(ctx: Ctx, id: number, role: 'user' | 'admin') {
  const user = await ctx.db.transaction(async (tx) => {
    if (role !== 'admin') await keepAnAdmin(tx, id)
    const [row] = await tx
      .update(users)
      .set({ role, updatedAt: new Date() })
      .where(eq(users.id, id))
      .returning()
    return row
  })
  if (!user) throw notFound('User')
  return toOwnUser(ctx.config, user)
}

/** The admin's list: users with their e-mail and role, by username, optionally matching `q` (`preparedPage`). */
export async function listUsersWithRoles(ctx: Ctx, query: { q?: string }, page: PageParams) {
  const shape = `users_with_roles:${query.q ? 'q' : 'all'}`
  const values = { q: query.q ? containsPattern(query.q) : null }
  const { rows, total } = await preparedPage(ctx.db, shape, page, values, (d) => {
    const searchable = sql`lower(${users.username} || ' ' || ${users.displayName} || ' ' || ${users.email})`
    const where = query.q ? like(searchable, sql.placeholder('q')) : undefined
    return {
      rows: d
        .select()
        .from(users)
        .where(where)
        .orderBy(asc(sql`lower(${users.username})`))
        .$dynamic(),
      total: usersTotal(d, where),
    }
  })
  return toPage(
    rows.map((u) => toOwnUser(ctx.config, u)),
    total[0]?.n ?? 0,
    page,
  )
}
