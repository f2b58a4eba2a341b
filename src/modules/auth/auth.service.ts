// Sign-up, sign-in and sessions: a session is a family of rotating refresh tokens born from one login.
import { and, desc, eq, gt, isNull, ne, or, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedOnce, runStatement, type Statement } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import { refreshTokens, revokedTokens, sessions, type User, users } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { assertPasswordStrong, hashPassword, verifyPassword } from '../../lib/passwords.js'
import { hashOpaqueToken, newOpaqueToken } from '../../lib/tokens.js'
import { queueVerifyEmail } from '../../mail/queue.js'
import { toOwnUser, type UserOwnT } from '../users/users.schemas.js'

export interface TokenPairResult {
  user: UserOwnT
  access_token: string
  refresh_token: string
  token_type: 'Bearer'
  expires_in: number
}

export function takenError(constraint: string | undefined): AppError | undefined {
  if (constraint === 'users_email_lower_key')
    return new AppError('EMAIL_TAKEN', 'That email address is taken')
  if (constraint === 'users_username_lower_key')
    return new AppError('USERNAME_TAKEN', 'That username is taken')
  return undefined
}

/**
 * Which of an address and a username an account has already (any case): for a sign-up form refused for one
 * reason, to say the others at once. (A refused registration already tells this, one field at a time.)
 */
export async function alreadyTaken(
  ctx: Ctx,
  input: { email: string; username: string },
): Promise<{ field: 'email' | 'username'; message: string }[]> {
  const email = input.email.trim().toLowerCase()
  const username = input.username.toLowerCase()
  const rows = await ctx.db
    .select({ email: sql<string>`lower(${users.email})`, username: sql<string>`lower(${users.username})` })
    .from(users)
    .where(or(eq(sql`lower(${users.email})`, email), eq(sql`lower(${users.username})`, username)))
    .limit(2)
  return [
    ...(rows.some((r) => r.email === email)
      ? [{ field: 'email' as const, message: takenError('users_email_lower_key')!.message }]
      : []),
    ...(rows.some((r) => r.username === username)
      ? [{ field: 'username' as const, message: takenError('users_username_lower_key')!.message }]
      : []),
  ]
}

export async function register(
  ctx: Ctx,
  input: { email: string; username: string; password: string; display_name?: string },
  userAgent?: string,
): Promise<TokenPairResult> {
  return createAccount(ctx, input, (tx, user) => openSession(tx, ctx, user, true, userAgent))
}

/**
 * Creates an account, queues its welcome/verification e-mail and signs it in with `signIn` (a token pair
 * for the API, a cookie session for the pages), all in one transaction.
 */
export async function createAccount<T>(
  ctx: Ctx,
  input: { email: string; username: string; password: string; display_name?: string },
  signIn: (tx: Db, user: User) => Promise<T>,
): Promise<T> {
  const email = input.email.trim()
  assertPasswordStrong(input.password, { username: input.username, email })
  const passwordHash = await hashPassword(input.password)
  try {
    return await ctx.db.transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({
          email,
          username: input.username,
          passwordHash,
          displayName: input.display_name ?? input.username,
        })
        .returning()
      // In the same transaction: a registration that rolls back sends nothing, one that commits always sends.
      await queueVerifyEmail(tx, ctx, { userId: user!.id, email: user!.email, welcome: true })
      return signIn(tx, user!)
    })
  } catch (err) {
    throw takenError(uniqueViolation(err)) ?? err
  }
}

export async function login(
  ctx: Ctx,
  input: { email: string; password: string },
  userAgent?: string,
): Promise<TokenPairResult> {
  return openSession(ctx.db, ctx, await checkCredentials(ctx, input), true, userAgent)
}

// A login's two statements are prepared: drizzle built the lookup and the two inserts on every login, a fifth of
// the event loop's time per login, and PostgreSQL parsed and planned them each time.
const credentialsStatement = (db: Db) =>
  preparedOnce(db, 'auth_credentials', (d, name) =>
    d
      .select()
      .from(users)
      .where(
        or(
          eq(sql`lower(${users.email})`, sql.placeholder('login')),
          eq(sql`lower(${users.username})`, sql.placeholder('login')),
        ),
      )
      .limit(1)
      .prepare(name),
  )

/** The user these credentials (email or username, and password) belong to, or INVALID_CREDENTIALS. */
export async function checkCredentials(ctx: Ctx, input: { email: string; password: string }): Promise<User> {
  const [user] = await credentialsStatement(ctx.db).execute({ login: input.email.trim().toLowerCase() })
  // Unknown user and wrong password cost the same argon2 work and get the same answer.
  const ok = await verifyPassword(user?.passwordHash, input.password)
  if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', 'Email/username or password is wrong')
  return user
}

/**
 * The `User-Agent` a session is shown by in settings ("Firefox on Linux"): one line, at most 512 characters, or
 * null without one.
 */
export function sessionAgent(header: string | string[] | undefined): string | null {
  const line = (Array.isArray(header) ? header[0] : header)
    ?.replace(/\p{Cc}/gu, ' ')
    .trim()
    .slice(0, 512)
  return line || null
}

/** Inserts a session row (no tokens): the id a cookie session names. */
export async function startSession(db: Db, ctx: Ctx, userId: number, userAgent?: string): Promise<string> {
  const expiresAt = new Date(Date.now() + ctx.config.REFRESH_TOKEN_TTL * 1000)
  const [session] = await db
    .insert(sessions)
    .values({ userId, expiresAt, userAgent: sessionAgent(userAgent) })
    .returning({ id: sessions.id })
  return session!.id
}

/**
 * Ends one session of a user: every token or cookie that names it stops working at once. False when the user
 * has no such session still open (ended already, expired, or not theirs).
 */
export async function endSession(db: Db, userId: number, sessionId: string): Promise<boolean> {
  const ended = await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
      ),
    )
    .returning({ id: sessions.id })
  return ended.length > 0
}

// A session and its first refresh token in one statement: one round trip and one commit. $1 the user, $2 when
// both expire, $3 the token's hash, $4 the client's User-Agent.
const OPEN_SESSION: Statement = {
  name: 'auth_open_session',
  text: `with s as (insert into sessions (user_id, expires_at, user_agent) values ($1, $2::timestamptz, $4) returning id)
    insert into refresh_tokens (session_id, token_hash, expires_at) select id, $3, $2::timestamptz from s
    returning session_id`,
}

/** Starts a session (a new refresh-token family) and signs its first access token. */
export async function openSession(
  db: Db,
  ctx: Ctx,
  user: User,
  fresh: boolean,
  userAgent?: string,
): Promise<TokenPairResult> {
  const refresh = newOpaqueToken()
  const expiresAt = new Date(Date.now() + ctx.config.REFRESH_TOKEN_TTL * 1000).toISOString()
  const [row] = await runStatement<{ session_id: string }>(db, OPEN_SESSION, [
    user.id,
    expiresAt,
    refresh.hash,
    sessionAgent(userAgent),
  ])
  return tokenPair(ctx, user, row!.session_id, refresh.token, fresh)
}

function tokenPair(
  ctx: Ctx,
  user: User,
  sessionId: string,
  refreshToken: string,
  fresh: boolean,
): TokenPairResult {
  return {
    user: toOwnUser(ctx.config, user),
    access_token: ctx.tokens.signAccess({ userId: user.id, sessionId, role: user.role, fresh }),
    refresh_token: refreshToken,
    token_type: 'Bearer',
    expires_in: ctx.tokens.ttl,
  }
}

/**
 * Rotates a refresh token. A token that was already used means it leaked (or a client raced itself):
 * the whole family is revoked, so whoever holds the newer token loses it too.
 */
export async function refresh(ctx: Ctx, token: string): Promise<TokenPairResult> {
  const outcome = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ token: refreshTokens, session: sessions, user: users })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(eq(refreshTokens.tokenHash, hashOpaqueToken(token)))
      .for('update', { of: [refreshTokens, sessions] })
    if (!row) return { error: new AppError('TOKEN_INVALID', 'The refresh token is not valid') }
    if (row.session.revokedAt)
      return { error: new AppError('TOKEN_REVOKED', 'The refresh token has been revoked') }
    if (row.token.usedAt) {
      await tx.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, row.session.id))
      return {
        error: new AppError('TOKEN_REVOKED', 'The refresh token was already used; the session is revoked'),
      }
    }
    if (row.token.expiresAt <= new Date()) {
      return { error: new AppError('TOKEN_INVALID', 'The refresh token has expired') }
    }
    await tx.update(refreshTokens).set({ usedAt: new Date() }).where(eq(refreshTokens.id, row.token.id))
    await tx.update(sessions).set({ lastUsedAt: new Date() }).where(eq(sessions.id, row.session.id))
    const next = newOpaqueToken()
    await tx
      .insert(refreshTokens)
      .values({ sessionId: row.session.id, tokenHash: next.hash, expiresAt: row.session.expiresAt })
    return { pair: tokenPair(ctx, row.user, row.session.id, next.token, false) }
  })
  // Errors leave after the commit, so a detected reuse really revokes the family.
  if (outcome.error) throw outcome.error
  return outcome.pair
}

/** Ends the caller's session: this access token is refused from now on and its refresh family revoked. */
export async function logout(ctx: Ctx, actor: Actor, refreshToken?: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await revokeAccessToken(tx, actor)
    const ids = [actor.sessionId]
    if (refreshToken) {
      const [row] = await tx
        .select({ sessionId: refreshTokens.sessionId })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(and(eq(refreshTokens.tokenHash, hashOpaqueToken(refreshToken)), eq(sessions.userId, actor.id)))
      if (row) ids.push(row.sessionId)
    }
    for (const id of ids) await endSession(tx, actor.id, id)
  })
}

export async function revokeAccessToken(db: Db, actor: Actor): Promise<void> {
  await db
    .insert(revokedTokens)
    .values({ jti: actor.jti, expiresAt: new Date(actor.exp * 1000) })
    .onConflictDoNothing()
}

/** Revokes every session of a user, optionally keeping one (the caller's own, after a password change). */
export async function revokeSessions(db: Db, userId: number, keepSessionId?: string): Promise<void> {
  await db
    .update(sessions)
    .set({ revokedAt: new Date() })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, new Date()),
        keepSessionId ? ne(sessions.id, keepSessionId) : undefined,
      ),
    )
}

/**
 * The user's sessions that still work (neither revoked nor expired), the most recently used first. `lastUsedAt`:
 * a cookie session's last page request (to within SESSION_TOUCH_INTERVAL), an API session's last refresh of its
 * tokens (its access tokens, used in between, are not counted: they are checked inside each route's own query),
 * else its start.
 */
export async function activeSessions(db: Db, userId: number) {
  const lastUsedAt = sql<Date>`coalesce(${sessions.lastUsedAt}, ${sessions.createdAt})`.mapWith(
    sessions.createdAt,
  )
  return db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      lastUsedAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
    .orderBy(desc(lastUsedAt), desc(sessions.createdAt))
    .limit(100)
}
