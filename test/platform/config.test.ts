import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'
import { guardDisabled } from '../../src/lib/guards.js'

const dataDir = () => mkdtempSync(join(tmpdir(), 'stagedoor-config-'))
const STRONG_SECRET = `${'k'.repeat(8)}x7Q2v9LmR4tY1pZ8wN3bC6dF0gH5jK2s`

describe('configuration', () => {
  it('works with nothing set: embedded database, defaults, a secret generated once and kept', () => {
    const dir = dataDir()
    const first = loadConfig({ DATA_DIR: dir })
    expect(first).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      ACCESS_TOKEN_TTL: 900,
      RESERVATION_TTL: 900,
    })
    expect(first.DATABASE_URL).toBeUndefined()
    expect(first.JWT_SECRET.length).toBeGreaterThanOrEqual(32)
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()).toBe(first.JWT_SECRET)
    expect(loadConfig({ DATA_DIR: dir }).JWT_SECRET).toBe(first.JWT_SECRET)
  })

  it('in production refuses to start without a secret, or with a short or well-known one', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir() })).toThrow(/JWT_SECRET: required/)
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET: must be at least 32/,
    )
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET }).JWT_SECRET).toBe(STRONG_SECRET)
  })

  it('fails fast on invalid values, naming each variable', () => {
    try {
      loadConfig({
        DATA_DIR: dataDir(),
        PORT: 'eighty',
        RATE_LIMIT_ENABLED: 'maybe',
        DATABASE_URL: 'mysql://x',
      })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const message = (err as Error).message
      expect(message).toMatch(/PORT/)
      expect(message).toMatch(/RATE_LIMIT_ENABLED/)
      expect(message).toMatch(/DATABASE_URL/)
    }
  })

  it('sheds load by default only when the database is elsewhere (the embedded one runs on the event loop)', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).MAX_EVENT_LOOP_DELAY).toBe(0)
    expect(loadConfig({ DATA_DIR: dataDir(), DATABASE_URL: 'postgres://x@h/db' }).MAX_EVENT_LOOP_DELAY).toBe(
      1000,
    )
    expect(loadConfig({ DATA_DIR: dataDir(), MAX_EVENT_LOOP_DELAY: '250' }).MAX_EVENT_LOOP_DELAY).toBe(250)
  })

  it('keeps every pooled connection it opened unless told a smaller DATABASE_POOL_MIN, never above the max', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).DATABASE_POOL_MIN).toBe(10)
    expect(loadConfig({ DATA_DIR: dataDir(), DATABASE_POOL_MAX: '4' }).DATABASE_POOL_MIN).toBe(4)
    expect(loadConfig({ DATA_DIR: dataDir(), DATABASE_POOL_MIN: '0' }).DATABASE_POOL_MIN).toBe(0)
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_POOL_MAX: '4', DATABASE_POOL_MIN: '5' })).toThrow(
      /DATABASE_POOL_MIN: must not exceed DATABASE_POOL_MAX \(4\) \(got 5\)/,
    )
  })

  it('reads booleans, numbers and lists from text', () => {
    const c = loadConfig({
      DATA_DIR: dataDir(),
      RATE_LIMIT_ENABLED: 'false',
      PORT: '8080',
      CORS_ORIGINS: 'https://a.test, https://b.test',
    })
    expect(c).toMatchObject({
      RATE_LIMIT_ENABLED: false,
      PORT: 8080,
      CORS_ORIGINS: ['https://a.test', 'https://b.test'],
    })
  })

  it('switches guards off only for the test suite, and only guards it knows', () => {
    const env = { DATA_DIR: dataDir(), UNSAFE_DISABLE_GUARDS: 'capacity, idempotency' }
    const test = loadConfig({ ...env, NODE_ENV: 'test' })
    expect(test.UNSAFE_DISABLE_GUARDS).toEqual(['capacity', 'idempotency'])
    expect(guardDisabled(test, 'capacity')).toBe(true)
    expect(guardDisabled(test, 'idempotency')).toBe(true)
    expect(guardDisabled(test, 'invoice-lock')).toBe(false)
    expect(guardDisabled(loadConfig({ DATA_DIR: dataDir(), NODE_ENV: 'test' }), 'capacity')).toBe(false)
    // Outside NODE_ENV=test the switch is ignored, whatever it says.
    for (const other of [
      loadConfig(env),
      loadConfig({ ...env, NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET }),
    ]) {
      expect(guardDisabled(other, 'capacity')).toBe(false)
      expect(guardDisabled(other, 'idempotency')).toBe(false)
    }
    expect(() =>
      loadConfig({ ...env, NODE_ENV: 'test', UNSAFE_DISABLE_GUARDS: 'capacity,seat-lock' }),
    ).toThrow(/UNSAFE_DISABLE_GUARDS: unknown guard seat-lock/)
  })

  it('TRUST_PROXY takes a hop count or addresses and CIDR ranges, never a blanket true', () => {
    const dir = dataDir()
    expect(loadConfig({ DATA_DIR: dir }).TRUST_PROXY).toBe(false)
    expect(loadConfig({ DATA_DIR: dir, TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1)
    expect(loadConfig({ DATA_DIR: dir, TRUST_PROXY: '10.0.0.0/8, fd00::/8,192.0.2.7' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
      '192.0.2.7',
    ])
    expect(() => loadConfig({ DATA_DIR: dir, TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY: "true"/)
    expect(() => loadConfig({ DATA_DIR: dir, TRUST_PROXY: '10.0.0.0/33' })).toThrow(
      /TRUST_PROXY: not an address/,
    )
    expect(() => loadConfig({ DATA_DIR: dir, TRUST_PROXY: 'proxy.local' })).toThrow(/TRUST_PROXY/)
  })
})
