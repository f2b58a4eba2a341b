// Reads PostgreSQL error codes through drizzle's wrapping (pg and PGlite both report `code` and `constraint`).

interface PgError {
  code?: string
  constraint?: string
}

/** What a client may be told about a failed statement, and what is logged: never its text or parameters. */
export interface QueryFailure {
  sqlstate?: string
  constraint?: string
}

function pgError(err: unknown): PgError | undefined {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const candidate = e as PgError & { cause?: unknown }
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) return candidate
    e = candidate.cause
  }
  return undefined
}

/** The violated constraint's name when `err` is a unique violation, else undefined. */
export function uniqueViolation(err: unknown): string | undefined {
  const pg = pgError(err)
  return pg?.code === '23505' ? (pg.constraint ?? '') : undefined
}

export function pgErrorCode(err: unknown): string | undefined {
  return pgError(err)?.code
}

/**
 * The violated constraint's name when `err` is a foreign-key violation, else undefined: 23503 for NO ACTION
 * keys, 23001 (restrict_violation) for ON DELETE RESTRICT ones.
 */
export function foreignKeyViolation(err: unknown): string | undefined {
  const pg = pgError(err)
  return pg?.code === '23503' || pg?.code === '23001' ? (pg.constraint ?? '') : undefined
}

/** A data exception (SQLSTATE class 22: out of range, invalid text, bad datetime…): the request's fault, a 400. */
export function dataException(err: unknown): boolean {
  return pgError(err)?.code?.startsWith('22') ?? false
}

// Node's socket errors and node-postgres's own messages when a connection is lost, refused or never made (and
// the query watchdog's, which reuses node-postgres's 'Query read timeout': query-watchdog.ts).
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
])
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout/i

/**
 * The database is unreachable or refusing work for now: a lost or refused connection (08xxx, or a socket
 * error before any SQLSTATE), an administrator's shutdown (57P01, 57P02, 57P03), too many clients (53300).
 * Nothing about the request is wrong: the answer is 503 with Retry-After.
 */
export function databaseUnavailable(err: unknown): boolean {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const candidate = e as { code?: unknown; message?: unknown; cause?: unknown }
    const code = typeof candidate.code === 'string' ? candidate.code : ''
    if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true
    if (NETWORK_CODES.has(code)) return true
    if (typeof candidate.message === 'string' && CONNECTION_MESSAGES.test(candidate.message)) return true
    e = candidate.cause
  }
  return false
}

/** The SQLSTATE and constraint of a failed statement, for the log (its parameters may hold secrets). */
export function queryFailure(err: unknown): QueryFailure | undefined {
  const pg = pgError(err)
  if (!pg) return undefined
  return { sqlstate: pg.code, ...(pg.constraint ? { constraint: pg.constraint } : {}) }
}

/** True when `err` came from a statement (drizzle wraps it with the query text and its parameters). */
export function isQueryError(err: unknown): boolean {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    if ('params' in e || 'query' in e || pgError(e) === e) return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}
