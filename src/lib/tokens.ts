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
      if (claims.type !== 'access' || typeof claims.sub !== 'string' || !/^[1-9]\d{0,9}$/.test(claims.sub)) {
        throw new AppError('TOKEN_INVALID', 'The access token is not valid')
      }
      return claims as unknown as AccessClaims
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
