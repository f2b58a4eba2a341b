// Reads PostgreSQL error codes through drizzle's wrapping (pg and PGlite both report `code` and `constraint`).

interface PgError {
  code?: string
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
