// Access tokens (HS256 JWT, algorithm pinned) and opaque refresh/one-time tokens stored only as hashes.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { createSigner, createVerifier, TokenError } from 'fast-jwt'
import type { Config } from '../config.js'
import { AppError } from './errors.js'

export interface AccessClaims {
  sub: string
  jti: string
  sid: string
  role: 'user' | 'admin'
  fresh: boolean
  type: 'access'
  iat: number
  exp: number
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Claims of the shape this server signs: an access token, a user id that fits the id column, a session id that
 * is a UUID, a string jti and a boolean `fresh`. A token signed with our key but shaped otherwise (only a holder
 * of the key can make one) is TOKEN_INVALID, not a 400 from the statement that reads the session or a truthy
 * string taken for fresh.
 */
function wellFormed(claims: Record<string, unknown>): claims is AccessClaims & Record<string, unknown> {
  return (
    claims.type === 'access' &&
    typeof claims.sub === 'string' &&
    /^[1-9]\d{0,9}$/.test(claims.sub) &&
    Number(claims.sub) <= 2_147_483_647 &&
    typeof claims.sid === 'string' &&
    UUID.test(claims.sid) &&
    typeof claims.jti === 'string' &&
    typeof claims.fresh === 'boolean' &&
    (claims.role === 'user' || claims.role === 'admin')
  )
}

export interface TokenService {
  signAccess(input: { userId: number; sessionId: string; role: 'user' | 'admin'; fresh: boolean }): string
  verifyAccess(token: string): AccessClaims
  ttl: number
}

export function createTokenService(config: Config): TokenService {
  const key = config.JWT_SECRET
  const signer = createSigner({
    key,
    algorithm: 'HS256',
    iss: config.JWT_ISSUER,
    aud: config.JWT_AUDIENCE,
    expiresIn: config.ACCESS_TOKEN_TTL * 1000,
  })
  const verifier = createVerifier({
    key,
    algorithms: ['HS256'],
    allowedIss: config.JWT_ISSUER,
    allowedAud: config.JWT_AUDIENCE,
    requiredClaims: ['sub', 'jti', 'sid', 'exp', 'iat', 'type'],
    cache: 1000,
  })
  return {
    ttl: config.ACCESS_TOKEN_TTL,
    signAccess: ({ userId, sessionId, role, fresh }) =>
      signer({ sub: String(userId), jti: randomUUID(), sid: sessionId, role, fresh, type: 'access' }),
    verifyAccess(token) {
      let claims: Record<string, unknown>
      try {
        claims = verifier(token)
      } catch (err) {
        if (err instanceof TokenError && err.code === TokenError.codes.expired) {
          throw new AppError('TOKEN_EXPIRED', 'The access token has expired')
        }
        throw new AppError('TOKEN_INVALID', 'The access token is not valid')
      }
      if (!wellFormed(claims)) throw new AppError('TOKEN_INVALID', 'The access token is not valid')
      return claims
    },
  }
}

/** An opaque token with 256 random bits, and the hash under which it is stored. */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashOpaqueToken(token) }
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}
