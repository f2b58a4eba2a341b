// Cookie sessions: the cookie names a row of the `sessions` table (signed, so a guessed id is refused before the
// database is asked). The row is read on every page request with the user's current role, so logout, logout-all,
// a password change, account deletion and a demotion take effect at once, exactly as for bearer tokens.
import { and, eq, gt, isNull, sql } from 'drizzle-orm'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Actor, Ctx } from '../context.js'
import { preparedOnce } from '../db/client.js'
import { sessions, users } from '../db/schema/index.js'

export const SESSION_COOKIE = 'sd_session'

/** The signed-in person as pages see them: the actor services take, and what the layout shows. */
export interface WebUser extends Actor {
  username: string
  displayName: string
  emailVerified: boolean
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

function sessionStatement(ctx: Ctx) {
  return preparedOnce(ctx.db, 'web_session_user', (db, name) =>
    db
      .select({
        id: users.id,
        role: users.role,
        username: users.username,
        displayName: users.displayName,
        emailVerifiedAt: users.emailVerifiedAt,
        createdAt: sessions.createdAt,
        expiresAt: sessions.expiresAt,
        lastUsedAt: sessions.lastUsedAt,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          eq(sessions.id, sql.placeholder('sessionId')),
          isNull(sessions.revokedAt),
          gt(sessions.expiresAt, sql`now()`),
        ),
      )
      .prepare(name),
  )
}

/**
 * How stale a session's `last_used_at` may grow before a page request writes it again: settings say when each
 * session was last used to within this, and a busy browser costs one small write per interval, not one a page.
 */
export const SESSION_TOUCH_INTERVAL_MS = 5 * 60_000

function touchStatement(ctx: Ctx) {
  return preparedOnce(ctx.db, 'web_session_touch', (db, name) =>
    db
      .update(sessions)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(sessions.id, sql.placeholder('sessionId')))
      .prepare(name),
  )
}

/** The session id the request's cookie names, its signature checked (valid or not in the database), or null. */
function cookieSessionId(req: FastifyRequest): string | null {
  const raw = req.cookies[SESSION_COOKIE]
  if (!raw) return null
  const unsigned = req.unsignCookie(raw)
  return unsigned.valid && unsigned.value && UUID.test(unsigned.value) ? unsigned.value : null
}

/**
 * What a CSRF token is bound to: the session the request's cookie names, valid or not, or "no session". A token
 * and secret cookie got elsewhere (another visit, planted from a sibling site) do not pass with this session. A
 * session that lapsed since its form was shown still matches: the handler then sends the person to the login, as
 * before.
 */
export function csrfBinding(req: FastifyRequest): string {
  const sessionId = cookieSessionId(req)
  return sessionId ? `session ${sessionId}` : 'no session'
}

/** The user the request's session cookie names, or null (no cookie, bad signature, revoked, expired). */
export async function readSession(ctx: Ctx, req: FastifyRequest): Promise<WebUser | null> {
  const sessionId = cookieSessionId(req)
  if (!sessionId) return null
  const [row] = await sessionStatement(ctx).execute({ sessionId })
  if (!row) return null
  if (Date.now() - (row.lastUsedAt ?? row.createdAt).getTime() >= SESSION_TOUCH_INTERVAL_MS) {
    // Bookkeeping for the settings page: a database that takes reads but refuses this write (read-only for
    // maintenance, say) costs the page nothing; the next request tries again.
    await touchStatement(ctx)
      .execute({ sessionId })
      .catch((err: unknown) => ctx.log.warn({ err }, "a session's last use was not written"))
  }
  return {
    id: row.id,
    role: row.role,
    sessionId,
    // Cookie sessions have no access token: the id stands in for the jti (nothing revokes it by jti).
    jti: `session:${sessionId}`,
    // Like a login's access token: fresh for ACCESS_TOKEN_TTL after signing in.
    fresh: Date.now() - row.createdAt.getTime() < ctx.config.ACCESS_TOKEN_TTL * 1000,
    exp: Math.floor(row.expiresAt.getTime() / 1000),
    username: row.username,
    displayName: row.displayName,
    emailVerified: row.emailVerifiedAt !== null,
  }
}

export function setSessionCookie(ctx: Ctx, reply: FastifyReply, sessionId: string): void {
  reply.setCookie(SESSION_COOKIE, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.NODE_ENV === 'production',
    signed: true,
    maxAge: ctx.config.REFRESH_TOKEN_TTL,
  })
}

export function clearSessionCookie(ctx: Ctx, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.config.NODE_ENV === 'production',
  })
}
