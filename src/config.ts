// The one typed configuration, read from the environment (and an optional .env file) and validated once at boot.
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
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
  // A streaming replica for anonymous catalogue and search reads; a client's reads stay on the primary for
  // DATABASE_READ_STICKY seconds after its own write (plugins/db.ts).
  DATABASE_READ_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_READ_STICKY: Type.Integer({ minimum: 1, maximum: 3600, default: 10 }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 500, default: 10 }),
  // Connections a pool keeps open once it has opened them, however long they sit idle; unset: all of them, as a
  // fixed-size pool does (the others close after 30 s idle). bench/README.md, "A pool after a lull".
  DATABASE_POOL_MIN: Type.Optional(Type.Integer({ minimum: 0, maximum: 500 })),
  DATABASE_STATEMENT_TIMEOUT: Type.Integer({ minimum: 0, default: 15_000 }),
  // Client-side bound on one query, ms: catches a connection that went silent (no reset) where the server's
  // statement_timeout cannot. Above the statement timeout, so a slow statement is cancelled by the server first.
  DATABASE_QUERY_TIMEOUT: Type.Integer({ minimum: 0, default: 20_000 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Stagedoor <no-reply@stagedoor.local>' }),
  // Where clients reach this server (links in e-mails, the docs' server); default: its own origin, ownOrigin().
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  JWT_SECRET: Type.Optional(Type.String()),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'stagedoor' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'stagedoor-api' }),
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 1, default: 900 }),
  REFRESH_TOKEN_TTL: Type.Integer({ minimum: 1, default: 2_592_000 }),
  RESERVATION_TTL: Type.Integer({ minimum: 1, default: 900 }),
  // Reservations written by one statement at most, when they arrive together (reserve.batch.ts); 1 = each alone.
  RESERVATION_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  // Seconds a waiting-list offer holds its places before they move on to the next entry.
  WAITLIST_OFFER_TTL: Type.Integer({ minimum: 1, default: 1800 }),
  // The most sections one event may have (POST /events and POST /events/{id}/sections): bounds its pages and reads.
  MAX_SECTIONS_PER_EVENT: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }),
  // Live (held, unpaid) tickets one account may have booked for an event that sets no max_tickets_per_user, so
  // that nobody holds a whole event's stock for free (box-office.limits.ts); 0 = no cap.
  MAX_HELD_TICKETS_PER_EVENT: Type.Integer({ minimum: 0, maximum: 10_000, default: 10 }),
  // When true, only buyers with a verified e-mail address may reserve (403 EMAIL_NOT_VERIFIED otherwise).
  REQUIRE_VERIFIED_EMAIL_TO_RESERVE: Type.Boolean({ default: false }),
  // The most seats (all seated sections together) one event may have: bounds its seat map and seat reads.
  MAX_SEATS_PER_EVENT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000 }),
  EVENTS_CACHE_TTL: Type.Number({ minimum: 0, maximum: 60, default: 1 }),
  // Test-only: comma-separated guards to switch off for the control tests of the race tests (lib/guards.ts).
  // Only known names are accepted; honoured only when NODE_ENV=test, ignored otherwise.
  UNSAFE_DISABLE_GUARDS: Type.String({ default: '' }),
  RATE_LIMIT_ENABLED: Type.Boolean({ default: true }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ minimum: 1, default: 600 }),
  RATE_LIMIT_AUTH_PER_MINUTE: Type.Integer({ minimum: 1, default: 10 }),
  // Creating events and sections, per client: each writes rows (and seats) that stay.
  RATE_LIMIT_CREATE_PER_MINUTE: Type.Integer({ minimum: 1, default: 30 }),
  WEB_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 256, default: 1 }),
  // argon2id hashes one process runs at once (lib/passwords.ts); unset: the cores divided by WEB_CONCURRENCY.
  PASSWORD_HASH_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
  WORKERS_IN_PROCESS: Type.Boolean({ default: true }),
  MIGRATE_ON_START: Type.Boolean({ default: true }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  CORS_ORIGINS: Type.String({ default: '' }),
  // The proxies in front whose X-Forwarded-For is believed: a hop count, or their addresses/CIDRs. Never
  // "true" (anyone could then choose their own IP, and with it their rate-limit bucket).
  TRUST_PROXY: Type.String({ default: 'false' }),
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
  // Webhooks (modules/webhooks). Durations in seconds. A delivery that fails is tried again after
  // WEBHOOKS_RETRY_DELAY, then twice as long each time up to WEBHOOKS_RETRY_MAX_DELAY, until
  // WEBHOOKS_RETRY_WINDOW has passed since the first attempt; then it is `failed`.
  WEBHOOKS_TIMEOUT: Type.Number({ minimum: 0.1, maximum: 60, default: 10 }),
  WEBHOOKS_RETRY_DELAY: Type.Number({ minimum: 0, maximum: 30, default: 15 }),
  WEBHOOKS_RETRY_MAX_DELAY: Type.Number({ minimum: 0, default: 3600 }),
  WEBHOOKS_RETRY_WINDOW: Type.Number({ minimum: 0, default: 86_400 }),
  // Let webhook URLs reach loopback, private, link-local and other non-public addresses (development, tests).
  WEBHOOKS_ALLOW_PRIVATE: Type.Boolean({ default: false }),
  EMAIL_VERIFY_TTL: Type.Integer({ minimum: 60, default: 172_800 }),
  // Seconds after a confirmation link is mailed during which asking for another one is 429 (with Retry-After).
  EMAIL_VERIFY_COOLDOWN: Type.Integer({ minimum: 0, default: 60 }),
  // Seconds during which an address gets no second password-reset e-mail (requests still answer 202).
  PASSWORD_RESET_COOLDOWN: Type.Integer({ minimum: 0, default: 300 }),
  // Test-only fault injection, ignored unless NODE_ENV=test: pause a mail job `before-send:MS` or
  // `after-send:MS` (after the sent-log is written), and turn the sent-log dedupe off (the control run).
  TEST_MAIL_PAUSE: Type.Optional(Type.String({ pattern: '^(before|after)-send:\\d+$' })),
  TEST_MAIL_DEDUPE_OFF: Type.Boolean({ default: false }),
  // Test-only, ignored unless NODE_ENV=test: a server process exits as it starts (the cluster's restart backoff).
  TEST_CRASH_AT_START: Type.Boolean({ default: false }),
})

type Env = Static<typeof ConfigSchema>

export interface Config
  extends Omit<
    Env,
    | 'JWT_SECRET'
    | 'CORS_ORIGINS'
    | 'MAX_EVENT_LOOP_DELAY'
    | 'UNSAFE_DISABLE_GUARDS'
    | 'PUBLIC_URL'
    | 'TRUST_PROXY'
    | 'DATABASE_POOL_MIN'
  > {
  /** false, the number of proxy hops to trust, or the proxies' addresses and CIDR ranges. */
  TRUST_PROXY: false | number | string[]
  JWT_SECRET: string
  PUBLIC_URL: string
  CORS_ORIGINS: string[]
  MAX_EVENT_LOOP_DELAY: number
  DATABASE_POOL_MIN: number
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
  if (parsed.DATABASE_READ_URL && !parsed.DATABASE_URL) {
    throw new ConfigError('DATABASE_READ_URL: a read replica needs DATABASE_URL (its primary)')
  }
  const { DATABASE_POOL_MIN: min, DATABASE_POOL_MAX: max } = parsed
  if (min !== undefined && min > max) {
    throw new ConfigError(`DATABASE_POOL_MIN: must not exceed DATABASE_POOL_MAX (${max}) (got ${min})`)
  }
  const dataDir = resolve(parsed.DATA_DIR)
  return {
    ...parsed,
    DATA_DIR: dataDir,
    JWT_SECRET: resolveSecret(parsed, dataDir),
    PUBLIC_URL: (parsed.PUBLIC_URL ?? ownOrigin(parsed.HOST, parsed.PORT)).replace(/\/+$/, ''),
    // Load shedding protects a server whose database is elsewhere. The embedded database runs on this
    // event loop, so its own work would read as overload and turn ordinary requests into 503s: off there.
    MAX_EVENT_LOOP_DELAY: parsed.MAX_EVENT_LOOP_DELAY ?? (parsed.DATABASE_URL ? 1000 : 0),
    DATABASE_POOL_MIN: parsed.DATABASE_POOL_MIN ?? parsed.DATABASE_POOL_MAX,
    CORS_ORIGINS: listOf(parsed.CORS_ORIGINS),
    UNSAFE_DISABLE_GUARDS: guardNames(parsed.UNSAFE_DISABLE_GUARDS),
    TRUST_PROXY: trustProxy(parsed.TRUST_PROXY),
  }
}

/**
 * The server's own origin, as a browser on the same machine reaches it: `http://HOST:PORT`, with a loopback or
 * wildcard address written `localhost` (so that a link in an e-mail opened on a laptop works as it is).
 */
export function ownOrigin(host: string, port: number): string {
  const local = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(host)
  const name = local ? 'localhost' : host.includes(':') ? `[${host}]` : host
  return `http://${name}:${port}`
}

const listOf = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)

/** `false`, a hop count (`1`), or a list of addresses and CIDR ranges (`10.0.0.0/8, fd00::/8`). */
export function trustProxy(text: string): false | number | string[] {
  const value = text.trim().toLowerCase()
  if (value === '' || value === 'false' || value === '0') return false
  if (/^\d{1,2}$/.test(value)) return Number(value)
  if (value === 'true') {
    throw new ConfigError(
      'TRUST_PROXY: "true" trusts any X-Forwarded-For a client sends; give the number of proxies in front (e.g. 1) or their addresses/CIDRs',
    )
  }
  const entries = listOf(value)
  const bad = entries.filter((entry) => {
    const [address, bits, ...rest] = entry.split('/')
    const family = isIP(address ?? '')
    if (family === 0 || rest.length > 0) return true
    if (bits === undefined) return false
    const max = family === 4 ? 32 : 128
    return !/^\d{1,3}$/.test(bits) || Number(bits) > max
  })
  if (bad.length > 0) {
    throw new ConfigError(
      `TRUST_PROXY: not an address or CIDR range: ${bad.join(', ')} (or give a hop count)`,
    )
  }
  return entries
}

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
