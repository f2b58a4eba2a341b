// The one error type. Every failure a client can see has a stable machine code and an HTTP status.

const STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  WEAK_PASSWORD: 400,
  WEBHOOK_URL_FORBIDDEN: 400,
  AUTHORIZATION_REQUIRED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  FRESH_TOKEN_REQUIRED: 401,
  INVALID_CREDENTIALS: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FRIENDS: 403,
  EMAIL_NOT_VERIFIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  EMAIL_ALREADY_VERIFIED: 409,
  USERNAME_TAKEN: 409,
  ALREADY_FRIENDS: 409,
  REQUEST_EXISTS: 409,
  REQUEST_NOT_PENDING: 409,
  SOLD_OUT: 409,
  SEAT_TAKEN: 409,
  NO_ADJACENT_SEATS: 409,
  TICKET_LIMIT_EXCEEDED: 409,
  EVENT_NOT_ON_SALE: 409,
  EVENT_HAS_SALES: 409,
  CAPACITY_BELOW_SOLD: 409,
  EVENT_HAS_NO_SECTIONS: 409,
  SECTION_NOT_EMPTY: 409,
  INVOICE_NOT_OPEN: 409,
  TICKET_NOT_LIVE: 409,
  TICKET_NOT_CONFIRMED: 409,
  EVENT_STARTED: 409,
  IDEMPOTENCY_KEY_IN_USE: 409,
  SEATS_AVAILABLE: 409,
  ALREADY_WAITING: 409,
  WAITLIST_ENTRY_CLOSED: 409,
  VOUCHER_CODE_TAKEN: 409,
  VOUCHER_IN_USE: 409,
  VOUCHER_INVALID: 409,
  VOUCHER_EXHAUSTED: 409,
  ALREADY_STAFF: 409,
  ALREADY_CHECKED_IN: 409,
  TICKET_NOT_FOUND: 404,
  HOLD_NOT_EXTENDABLE: 409,
  LAST_ADMIN: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  SERVICE_UNAVAILABLE: 503,
} as const

export type ErrorCode = keyof typeof STATUS

export interface FieldError {
  path: string
  message: string
}

export class AppError extends Error {
  override name = 'AppError'
  readonly status: number
  constructor(
    readonly code: ErrorCode,
    detail: string,
    options: {
      status?: number
      errors?: FieldError[]
      headers?: Record<string, string>
      /** Problem members of this code (RFC 9457 extensions), e.g. ALREADY_CHECKED_IN's `checked_in_at`. */
      extensions?: Record<string, string | number>
    } = {},
  ) {
    const status = options.status ?? STATUS[code]
    // A client's error (4xx) is an answer, not a fault: no stack trace to capture (the crowd turned away from a
    // sold-out section gets its 409 cheaper). Server errors keep theirs.
    const limit = Error.stackTraceLimit
    if (status < 500) Error.stackTraceLimit = 0
    super(detail)
    Error.stackTraceLimit = limit
    this.status = status
    this.errors = options.errors
    this.headers = options.headers
    this.extensions = options.extensions
  }
  readonly errors: FieldError[] | undefined
  readonly extensions: Record<string, string | number> | undefined
  readonly headers: Record<string, string> | undefined
}

export const statusOf = (code: ErrorCode): number => STATUS[code]

/** Every code a problem may carry: the documented list clients can rely on. */
export const ERROR_CODES = Object.keys(STATUS) as ErrorCode[]

/** 404 for anything the caller may not see, whether or not it exists (no existence leak). */
export const notFound = (what = 'Resource') => new AppError('NOT_FOUND', `${what} not found`)
export const forbidden = (detail = 'You may not change this resource') => new AppError('FORBIDDEN', detail)
export const invalid = (path: string, message: string) =>
  new AppError('VALIDATION_FAILED', `${path}: ${message}`, { errors: [{ path, message }] })
