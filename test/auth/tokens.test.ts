import { createSigner } from 'fast-jwt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, login, registerUser, type TestUser } from '../helpers.js'

let app: App
let alice: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  alice = await registerUser(app)
})
afterAll(() => app.close())

const me = (authorization?: string) =>
  app.inject({ method: 'GET', url: '/api/v1/users/me', headers: authorization ? { authorization } : {} })

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())

function sign(claims: Record<string, unknown>, opts: { expiresIn?: number; key?: string } = {}) {
  return createSigner({
    key: opts.key ?? app.config.JWT_SECRET,
    algorithm: 'HS256',
    iss: 'stagedoor',
    aud: 'stagedoor-api',
    ...(opts.expiresIn ? { expiresIn: opts.expiresIn } : {}),
  })(claims)
}

describe('access tokens', () => {
  it('a valid token reaches a protected route', async () => {
    const res = await me(alice.auth.authorization)
    expect(res.statusCode).toBe(200)
    expect(res.json().id).toBe(alice.id)
  })

  it('the scheme is matched in any case (RFC 9110): bearer and BEARER reach the route too', async () => {
    const token = alice.auth.authorization.slice('Bearer '.length)
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await me(`${scheme} ${token}`)
      expect(res.statusCode).toBe(200)
      expect(res.json().id).toBe(alice.id)
    }
  })

  it.each([
    ['no header', undefined],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['a bare token', 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl'],
    ['an empty bearer', 'Bearer '],
  ])('with %s, answers 401 AUTHORIZATION_REQUIRED', async (_, header) => {
    const res = await me(header)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('AUTHORIZATION_REQUIRED')
  })

  it('a token with alg "none" is refused with 401 TOKEN_INVALID', async () => {
    const payload = claimsOf(alice.accessToken)
    const forged = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...payload, role: 'admin' })}.`
    const res = await me(`Bearer ${forged}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('TOKEN_INVALID')
  })

  it('a tampered payload (role raised to admin) is refused with 401 TOKEN_INVALID', async () => {
    const [header, , signature] = alice.accessToken.split('.')
    const payload = b64({ ...claimsOf(alice.accessToken), role: 'admin' })
    const res = await me(`Bearer ${header}.${payload}.${signature}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('TOKEN_INVALID')
  })

  it('a token signed with another key or another algorithm is refused', async () => {
    const claims = claimsOf(alice.accessToken)
    const { iat: _i, exp: _e, iss: _s, aud: _a, ...rest } = claims
    const otherKey = sign(rest, { key: 'another-secret-that-is-long-enough-1234567890', expiresIn: 60_000 })
    const hs512 = createSigner({
      key: app.config.JWT_SECRET,
      algorithm: 'HS512',
      iss: 'stagedoor',
      aud: 'stagedoor-api',
    })(rest)
    for (const token of [otherKey, hs512]) {
      const res = await me(`Bearer ${token}`)
      expect(res.statusCode).toBe(401)
      expect(res.json().code).toBe('TOKEN_INVALID')
    }
  })

  it('an expired token is refused with 401 TOKEN_EXPIRED', async () => {
    const { sub, sid } = claimsOf(alice.accessToken)
    const now = Math.floor(Date.now() / 1000)
    const expired = sign({
      sub,
      sid,
      jti: 'x1',
      role: 'user',
      fresh: true,
      type: 'access',
      iat: now - 1000,
      exp: now - 10,
    })
    const res = await me(`Bearer ${expired}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('TOKEN_EXPIRED')
  })

  it('a token of another type, or without a session, is refused with 401 TOKEN_INVALID', async () => {
    const { sub, sid } = claimsOf(alice.accessToken)
    const refreshTyped = sign(
      { sub, sid, jti: 'x2', role: 'user', fresh: true, type: 'refresh' },
      { expiresIn: 60_000 },
    )
    const noSession = sign(
      { sub, jti: 'x3', role: 'user', fresh: true, type: 'access' },
      { expiresIn: 60_000 },
    )
    for (const token of [refreshTyped, noSession]) {
      const res = await me(`Bearer ${token}`)
      expect(res.statusCode).toBe(401)
      expect(res.json().code).toBe('TOKEN_INVALID')
    }
  })

  it('a token signed with our key but shaped otherwise is refused with 401 TOKEN_INVALID', async () => {
    const good = claimsOf(alice.accessToken)
    const base = { sub: good.sub, sid: good.sid, jti: 'x5', role: 'user', fresh: true, type: 'access' }
    const shapes: Record<string, unknown>[] = [
      { sub: '9999999999' },
      { sub: '2147483648' },
      { sub: alice.id },
      { sid: 'not-a-uuid' },
      { jti: 5 },
      { fresh: 'true' },
      { fresh: undefined },
      { role: 'root' },
    ]
    for (const shape of shapes) {
      const res = await me(`Bearer ${sign({ ...base, ...shape }, { expiresIn: 60_000 })}`)
      expect(res.statusCode, JSON.stringify(shape)).toBe(401)
      expect(res.json().code).toBe('TOKEN_INVALID')
    }
    // The same claims, well formed, pass.
    expect((await me(`Bearer ${sign(base, { expiresIn: 60_000 })}`)).statusCode).toBe(200)
  })

  it('a refresh token sent as a bearer token is refused with 401 TOKEN_INVALID', async () => {
    const res = await me(`Bearer ${alice.refreshToken}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('TOKEN_INVALID')
  })

  it('a validly signed token for a session that does not exist is refused with 401 TOKEN_REVOKED', async () => {
    const token = sign(
      {
        sub: String(alice.id),
        sid: '00000000-0000-4000-8000-000000000000',
        jti: 'x4',
        role: 'admin',
        fresh: true,
        type: 'access',
      },
      { expiresIn: 60_000 },
    )
    const res = await me(`Bearer ${token}`)
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('TOKEN_REVOKED')
  })
})

describe('POST /auth/refresh', () => {
  const refresh = (refresh_token: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token } })

  it('rotates the refresh token and returns a pair whose access token is not fresh', async () => {
    const u = await registerUser(app)
    const res = await refresh(u.refreshToken)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.refresh_token).not.toBe(u.refreshToken)
    expect(body.user.id).toBe(u.id)
    expect(claimsOf(body.access_token).fresh).toBe(false)
    expect((await me(`Bearer ${body.access_token}`)).statusCode).toBe(200)
  })

  it('when a used refresh token is replayed, answers 401 TOKEN_REVOKED and revokes the whole family', async () => {
    const u = await registerUser(app)
    const first = (await refresh(u.refreshToken)).json()
    const replay = await refresh(u.refreshToken)
    expect(replay.statusCode).toBe(401)
    expect(replay.json().code).toBe('TOKEN_REVOKED')
    // The attacker's replay also kills the legitimate client's newer tokens.
    expect((await refresh(first.refresh_token)).json().code).toBe('TOKEN_REVOKED')
    expect((await me(`Bearer ${first.access_token}`)).json().code).toBe('TOKEN_REVOKED')
    expect((await me(u.auth.authorization)).json().code).toBe('TOKEN_REVOKED')
  })

  it('an unknown refresh token answers 401 TOKEN_INVALID', async () => {
    const res = await refresh('not-a-token-we-issued')
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('TOKEN_INVALID')
  })

  it('an access token sent as a refresh token answers 401 TOKEN_INVALID', async () => {
    expect((await refresh(alice.accessToken)).json().code).toBe('TOKEN_INVALID')
  })
})

describe('POST /auth/logout', () => {
  it('stops the access token and its refresh family at once; other sessions keep working', async () => {
    const u = await registerUser(app)
    const other = await login(app, u)
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: u.auth, payload: {} })
    expect(res.statusCode).toBe(204)
    expect((await me(u.auth.authorization)).json().code).toBe('TOKEN_REVOKED')
    const again = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refresh_token: u.refreshToken },
    })
    expect(again.json().code).toBe('TOKEN_REVOKED')
    expect((await me(other.auth.authorization)).statusCode).toBe(200)
  })

  it('works without a body, and revokes a named refresh token of the same user', async () => {
    const u = await registerUser(app)
    const second = await login(app, u)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: u.auth,
      payload: { refresh_token: second.refreshToken },
    })
    expect(res.statusCode).toBe(204)
    expect((await me(second.auth.authorization)).json().code).toBe('TOKEN_REVOKED')
    const third = await login(app, u)
    const bare = await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: third.auth })
    expect(bare.statusCode).toBe(204)
    expect((await me(third.auth.authorization)).json().code).toBe('TOKEN_REVOKED')
  })

  it('without a token answers 401 AUTHORIZATION_REQUIRED', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout' })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('AUTHORIZATION_REQUIRED')
  })
})

describe('POST /auth/logout-all', () => {
  it('revokes every session of the user, including the caller', async () => {
    const u = await registerUser(app)
    const other = await login(app, u)
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/logout-all', headers: other.auth })
    expect(res.statusCode).toBe(204)
    for (const session of [u, other]) {
      expect((await me(session.auth.authorization)).json().code).toBe('TOKEN_REVOKED')
    }
    // A new login afterwards works.
    expect((await me((await login(app, u)).auth.authorization)).statusCode).toBe(200)
  })
})
