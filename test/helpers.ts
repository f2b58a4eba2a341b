// Test helpers: an app on its own fresh database, and factories that go through the HTTP API.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import type { LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { inject } from 'vitest'
import { type App, buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openPglite } from '../src/db/client.js'
import { users } from '../src/db/schema/index.js'

export type { App }

let databases = 0

/** A database of its own for the calling test file: a PGlite snapshot copy, or a PostgreSQL database from the template. */
async function freshDatabase(): Promise<{
  databaseUrl?: string
  pglite?: Awaited<ReturnType<typeof openPglite>>
}> {
  const url = process.env.TEST_DATABASE_URL
  const template = inject('pgTemplate')
  if (url && template) {
    const name = `${template}_f${process.pid}_${++databases}`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`create database ${name} template ${template}`)
    await admin.end()
    const target = new URL(url)
    target.pathname = `/${name}`
    return { databaseUrl: target.toString() }
  }
  const snapshot = readFileSync(inject('pgliteSnapshot'))
  return { pglite: await openPglite(undefined, new Blob([snapshot])) }
}

export const usingPostgres = () => Boolean(process.env.TEST_DATABASE_URL)

/** A new, empty PostgreSQL database (no migrations), named after the template so the teardown drops it. */
export async function emptyPostgresDatabase(): Promise<string> {
  const url = process.env.TEST_DATABASE_URL!
  const name = `${inject('pgTemplate')}_e${process.pid}_${++databases}`
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  await admin.query(`create database ${name}`)
  await admin.end()
  const target = new URL(url)
  target.pathname = `/${name}`
  return target.toString()
}

/** Builds an app on a fresh migrated database. `env` overrides the test configuration. */
export async function buildTestApp(
  env: Record<string, string> = {},
  opts: {
    logLines?: string[]
    /** PostgreSQL: the URL the app is given for its fresh database (a fault test puts a proxy in front). */
    databaseUrl?: (url: string) => string
  } = {},
): Promise<App> {
  const fresh = await freshDatabase()
  const { pglite } = fresh
  const databaseUrl =
    fresh.databaseUrl && opts.databaseUrl ? opts.databaseUrl(fresh.databaseUrl) : fresh.databaseUrl
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'stagedoor-test-')),
    JWT_SECRET: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'false',
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_CREATE_PER_MINUTE: '100000',
    LOG_LEVEL: 'silent',
    // No load shedding: on a busy shared machine the event loop lags past the 503 threshold while PGlite
    // (on the main thread) works, failing tests that are not about overload. Tests of shedding set it.
    MAX_EVENT_LOOP_DELAY: '0',
    // Tests write to the database directly and read back at once; the cache has its own tests.
    EVENTS_CACHE_TTL: '0',
    PUBLIC_URL: 'http://stagedoor.test',
    // Job workers only where a test asks for them (WORKERS_IN_PROCESS: 'true'); then they poll quickly.
    WORKERS_IN_PROCESS: 'false',
    JOBS_SCHEDULES_ENABLED: 'false',
    JOBS_POLL_INTERVAL: '0.5',
    JOBS_MAINTENANCE_INTERVAL: '1',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    ...env,
  })
  // With logLines, every log line the app writes (level trace) is collected for inspection.
  const logger = opts.logLines
    ? { level: 'trace', stream: { write: (line: string) => opts.logLines!.push(line) } }
    : false
  const app = await buildApp(config, { pglite, logger })
  if (pglite) app.addHook('onClose', () => pglite.close())
  await app.ready()
  return app
}

export const PASSWORD = 'Stagedoor-test-Pass-1'

export interface TestUser {
  id: number
  username: string
  email: string
  password: string
  accessToken: string
  refreshToken: string
  /** `{ authorization: 'Bearer …' }` for inject(). */
  auth: { authorization: string }
}

let users_ = 0
export function uniqueName(prefix = 'user'): string {
  return `${prefix}${process.pid}_${++users_}`.slice(0, 30)
}

/** Registers a user through the API. */
export async function registerUser(
  app: App,
  overrides: Partial<{ username: string; email: string; password: string; display_name: string }> = {},
): Promise<TestUser> {
  const username = overrides.username ?? uniqueName()
  const body = {
    username,
    email: overrides.email ?? `${username.toLowerCase()}@example.com`,
    password: overrides.password ?? PASSWORD,
    ...(overrides.display_name ? { display_name: overrides.display_name } : {}),
  }
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body })
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`)
  return toTestUser(res, body.password)
}

/** Registers a user and makes them an admin directly in the database (there is no API to self-promote). */
export async function registerAdmin(app: App): Promise<TestUser> {
  const admin = await registerUser(app, { username: uniqueName('admin') })
  await app.ctx.db.update(users).set({ role: 'admin' }).where(eq(users.id, admin.id))
  return admin
}

export async function login(app: App, who: { email: string; password: string }): Promise<TestUser> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: who.email, password: who.password },
  })
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`)
  return toTestUser(res, who.password)
}

function toTestUser(res: LightMyRequestResponse, password: string): TestUser {
  const body = res.json()
  return {
    id: body.user.id,
    username: body.user.username,
    email: body.user.email,
    password,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    auth: { authorization: `Bearer ${body.access_token}` },
  }
}

/** Asserts nothing; returns the problem body of a response for concise `expect` lines. */
export function problem(res: LightMyRequestResponse): { status: number; code: string; errors?: unknown[] } {
  return res.json()
}
