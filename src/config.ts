// The one typed configuration, read from the environment (and an optional .env file) and validated once at boot.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { GUARD_NAMES, type GuardName } from './lib/guards.js'

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')], {
    default: 'development',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
  DATABASE_STATEMENT_TIMEOUT: Type.Integer({ minimum: 0, default: 15_000 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Stagedoor <no-reply@stagedoor.local>' }),
  PUBLIC_URL: Type.String({ pattern: '^https?://', default: 'http://localhost:3000' }),
  JWT_SECRET: Type.Optional(Type.String()),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'stagedoor' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'stagedoor-api' }),
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 1, default: 900 }),
  REFRESH_TOKEN_TTL: Type.Integer({ minimum: 1, default: 2_592_000 }),
  RESERVATION_TTL: Type.Integer({ minimum: 1, default: 900 }),
  // Reservations written by one statement at most, when they arrive together (reservations.batch.ts); 1 = each alone.
  RESERVATION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  EVENTS_CACHE_TTL: Type.Number({ minimum: 0, maximum: 60, default: 1 }),
  // Test-only: comma-separated guards to switch off for the control tests of the race tests (lib/guards.ts).
  // Only known names are accepted; honoured only when NODE_ENV=test, ignored otherwise.
  UNSAFE_DISABLE_GUARDS: Type.String({ default: '' }),
  RATE_LIMIT_ENABLED: Type.Boolean({ default: true }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600 }),
  RATE_LIMIT_AUTH_PER_MINUTE: Type.Integer({ minimum: 1, default: 10 }),
  WEB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 1 }),
  WORKERS_IN_PROCESS: Type.Boolean({ default: true }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  CORS_ORIGINS: Type.String({ default: '' }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576 }),
  REQUEST_TIMEOUT: Type.Integer({ minimum: 1, default: 30 }),
  SHUTDOWN_TIMEOUT: Type.Integer({ minimum: 1, default: 10 }),
  MAX_EVENT_LOOP_DELAY: Type.Optional(Type.Integer({ minimum: 0 })),
  // Job queue (pg-boss). Durations in seconds.
  JOBS_POLL_INTERVAL: Type.Number({ minimum: 0.5, default: 2 }),
  // E-mails each worker fetches and sends at once; a full batch fetches the next at once, without waiting.
  JOBS_MAIL_BATCH: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  JOBS_MAINTENANCE_INTERVAL: Type.Integer({ minimum: 1, default: 60 }),
  JOBS_EXPIRE: Type.Integer({ minimum: 1, maximum: 3600, default: 120 }),
  JOBS_RETRY_LIMIT: Type.Integer({ minimum: 0, default: 6 }),
  JOBS_RETRY_DELAY: Type.Integer({ minimum: 0, default: 30 }),
  JOBS_SCHEDULES_ENABLED: Type.Boolean({ default: true }),
  EMAIL_VERIFY_TTL: Type.Integer({ minimum: 60, default: 172_800 }),
  // Test-only fault injection, ignored unless NODE_ENV=test: pause a mail job `before-send:MS` or
  // `after-send:MS` (after the sent-log is written), and turn the sent-log dedupe off (the control run).
  TEST_MAIL_PAUSE: Type.Optional(Type.String({ pattern: '^(before|after)-send:\\d+$' })),
  TEST_MAIL_DEDUPE_OFF: Type.Boolean({ default: false }),
})

type Env = Static<typeof ConfigSchema>

export interface Config
  extends Omit<Env, 'JWT_SECRET' | 'CORS_ORIGINS' | 'MAX_EVENT_LOOP_DELAY' | 'UNSAFE_DISABLE_GUARDS'> {
  JWT_SECRET: string
  CORS_ORIGINS: string[]
  MAX_EVENT_LOOP_DELAY: number
  UNSAFE_DISABLE_GUARDS: GuardName[]
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const MIN_SECRET_BYTES = 32
const WEAK_SECRETS = new Set(['secret', 'changeme', 'change-me', 'jwt-secret', 'super-secret', 'stagedoor'])

/** Reads `.env` from the working directory into process.env when present (entry points only). */
export function loadDotEnv(): void {
  if (existsSync('.env')) process.loadEnvFile('.env')
}

/** Builds the configuration from an environment map; throws ConfigError naming the variable at fault. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(ConfigSchema.properties)
  const input: Record<string, unknown> = {}
  for (const key of known) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  const withDefaults = Value.Default(ConfigSchema, input)
  const converted = Value.Convert(ConfigSchema, withDefaults) as Record<string, unknown>
  const errors = [...Value.Errors(ConfigSchema, converted)]
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const name = e.instancePath.replace(/^\//, '') || 'configuration'
      return `${name}: ${e.message} (got ${JSON.stringify(converted[name])})`
    })
    throw new ConfigError(`Invalid configuration:\n  ${[...new Set(lines)].join('\n  ')}`)
  }
  const parsed = converted as Env
  const dataDir = resolve(parsed.DATA_DIR)
  return {
    ...parsed,
    DATA_DIR: dataDir,
    JWT_SECRET: resolveSecret(parsed, dataDir),
    // Load shedding protects a server whose database is elsewhere. The embedded database runs on this
    // event loop, so its own work would read as overload and turn ordinary requests into 503s: off there.
    MAX_EVENT_LOOP_DELAY: parsed.MAX_EVENT_LOOP_DELAY ?? (parsed.DATABASE_URL ? 1000 : 0),
    CORS_ORIGINS: listOf(parsed.CORS_ORIGINS),
    UNSAFE_DISABLE_GUARDS: guardNames(parsed.UNSAFE_DISABLE_GUARDS),
  }
}

const listOf = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

function guardNames(text: string): GuardName[] {
  const names = listOf(text)
  const unknown = names.filter((name) => !(GUARD_NAMES as readonly string[]).includes(name))
  if (unknown.length > 0) {
    throw new ConfigError(
      `UNSAFE_DISABLE_GUARDS: unknown guard ${unknown.join(', ')} (known: ${GUARD_NAMES.join(', ')})`,
    )
  }
  return names as GuardName[]
}

function resolveSecret(env: Env, dataDir: string): string {
  const given = env.JWT_SECRET
  if (given !== undefined) {
    if (Buffer.byteLength(given) < MIN_SECRET_BYTES || WEAK_SECRETS.has(given.toLowerCase())) {
      throw new ConfigError(
        `JWT_SECRET: must be at least ${MIN_SECRET_BYTES} bytes of random data (try: openssl rand -base64 48)`,
      )
    }
    return given
  }
  if (env.NODE_ENV === 'production') {
    throw new ConfigError('JWT_SECRET: required when NODE_ENV=production (try: openssl rand -base64 48)')
  }
  // Development: generate once and keep it beside the embedded database so tokens survive restarts.
  const file = join(dataDir, 'jwt-secret')
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    mkdirSync(dataDir, { recursive: true })
    const secret = randomBytes(48).toString('base64url')
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' })
    return secret
  }
}
