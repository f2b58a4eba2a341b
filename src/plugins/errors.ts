// Validation and the one error handler: every failure leaves as application/problem+json with a stable code.
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import type Ajv from 'ajv'
import type { Options as AjvOptions, ErrorObject, ValidateFunction } from 'ajv'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { databaseUnavailable, dataException, isQueryError, queryFailure } from '../db/errors.js'
import { AppError, type ErrorCode, type FieldError } from '../lib/errors.js'
import { NOT_BLANK, Problem, ProblemRef, validatorWithFormats } from '../lib/schemas.js'
import { hardenRequestSchemas } from './request-schemas.js'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

const GENERIC_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'AUTHORIZATION_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
}

/** Fastify's own errors, mapped to our codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
}

/**
 * busboy's refusals of a multipart body (plain errors, no status): cut short, or without its boundary. They are
 * the client's body, a 400, on the avatar route and the settings page's upload alike.
 */
const MULTIPART_MALFORMED =
  /^Multipart: Boundary not found$|^Boundary required$|^Unexpected end of multipart data$|terminated early due to unexpected end of multipart data$/
export const multipartMalformed = (err: FastifyError) =>
  err.statusCode === undefined && MULTIPART_MALFORMED.test(err.message)

const READ_RETRY_HEADER = 'x-stagedoor-read-retry'
const HOP_BY_HOP = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive', 'date'])

/** Seconds a client is told to wait when a dependency is unavailable. */
export const RETRY_AFTER_SECONDS = 5

// The internal replay of a read carries this header with a per-process token a client cannot guess.
const READ_RETRY_TOKEN = randomUUID()

/** The server's own second try of a read (below): already counted once, as the client's request. */
export const isReadRetry = (req: FastifyRequest): boolean =>
  req.headers[READ_RETRY_HEADER] === READ_RETRY_TOKEN

/**
 * After a lost or refused database connection, for the API and the pages alike. The connections opened beside
 * the lost one are suspect too (a restart, a failover, a dropped route): the pool closes its idle ones, so the
 * next statement gets a fresh one. A GET, which changes nothing, is then tried once more. Returns the reply of
 * that second try when the database answered it; undefined for a write, for the retry itself, or when the
 * database is still out of reach (the caller answers 503).
 */
export async function retryAfterLostConnection(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  await app.database?.discardIdleConnections()
  if (req.method !== 'GET' || isReadRetry(req)) return undefined
  const again = await app.inject({
    method: 'GET',
    url: req.url,
    headers: { ...req.headers, [READ_RETRY_HEADER]: READ_RETRY_TOKEN, 'x-request-id': req.id },
    remoteAddress: req.socket?.remoteAddress,
  })
  if (again.statusCode === 503) return undefined
  // The second try's answer is sent as it is, past this reply's own hooks: it went through every hook already,
  // and a cookie the first try had queued (such as a new CSRF secret its page would never use) must not be
  // added after it, where a browser would let it win. Headers the first try set and the second did not (the
  // client's rate limit, counted on the first) are kept.
  const headers: Record<string, string | string[] | number> = {}
  for (const [name, value] of Object.entries({ ...reply.getHeaders(), ...again.headers })) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value
  }
  headers['content-length'] = again.rawPayload.length
  reply.hijack()
  reply.raw.writeHead(again.statusCode, headers)
  reply.raw.end(again.rawPayload)
  return reply
}

/** The error's class name and, for a socket error, its code: enough to tell failures apart, no values. */
export function failureName(err: unknown): string {
  let e: unknown = err
  while (e && typeof e === 'object' && 'cause' in e && e.cause) e = e.cause
  const { name, code } = (e ?? {}) as { name?: string; code?: unknown }
  return [name ?? 'Error', typeof code === 'string' ? code : ''].filter(Boolean).join(' ')
}

export function problemType(code: string): string {
  return `urn:stagedoor:problem:${code.toLowerCase().replaceAll('_', '-')}`
}

/** A problem's body, as every error answer sends it. */
function problemBody(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  errors?: FieldError[],
  extensions?: Record<string, string | number>,
) {
  return {
    type: problemType(code),
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    code,
    ...(errors ? { errors } : {}),
    ...extensions,
    request_id: requestId,
  }
}

export function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
  extensions?: Record<string, string | number>,
) {
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send(problemBody(status, code, detail, req.id, errors, extensions))
}

/**
 * Node's HTTP parser refuses some requests before Fastify routes them (headers or a request line over its limit,
 * a request that is not HTTP, a timeout): answered here as problems like any other, then the socket is closed.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const problem =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new AppError(
          'HEADERS_TOO_LARGE',
          'The request line and headers are too large: send a shorter URL or fewer headers',
        )
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppError('REQUEST_TIMEOUT', 'The request took too long to arrive')
        : new AppError('BAD_REQUEST', 'The request is not valid HTTP')
  const { status } = problem
  const body = JSON.stringify(problemBody(status, problem.code, problem.message, randomUUID()))
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${TITLES[status]}\r\nConnection: close\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy()
}

/** A problem lists at most this many fields: a body of 50,000 bad items must not answer megabytes. */
export const MAX_FIELD_ERRORS = 20

function validationErrors(err: FastifyError): FieldError[] {
  const context = err.validationContext ?? 'body'
  const errors: FieldError[] = []
  // A choice among literals fails once per literal, then once more as the union: one error naming the choices.
  const choices = new Map<string, string[]>()
  // A nullable field (a value or null) fails as the value, as "must be null" and as the union: only the first
  // is said, with "(or null)". The paths where that happened:
  const nullable = new Set<string>()
  const validation = err.validation ?? []
  const pathOf = (v: (typeof validation)[number]) => {
    const segments = v.instancePath.split('/').filter(Boolean)
    const missing = (v.params as { missingProperty?: string }).missingProperty
    return [context, ...segments, ...(missing ? [missing] : [])].join('.')
  }
  for (const v of validation) {
    if (v.keyword === 'type' && (v.params as { type?: unknown }).type === 'null') nullable.add(pathOf(v))
  }
  for (const v of validation) {
    if (
      nullable.has(pathOf(v)) &&
      (v.keyword === 'anyOf' || (v.keyword === 'type' && (v.params as { type?: unknown }).type === 'null'))
    ) {
      continue
    }
    const params = v.params as { allowedValue?: unknown }
    const path = pathOf(v)
    const allowed = choices.get(path)
    if (v.keyword === 'const') {
      if (allowed) allowed.push(String(params.allowedValue))
      else {
        choices.set(path, [String(params.allowedValue)])
        errors.push({ path, message: '' })
      }
    } else if (!(v.keyword === 'anyOf' && allowed)) {
      errors.push({ path, message: messageOf(v) })
    }
  }
  // Never an empty list for a failed check.
  if (errors.length === 0 && validation[0])
    errors.push({ path: pathOf(validation[0]), message: 'is invalid' })
  return errors
    .slice(0, MAX_FIELD_ERRORS)
    .map((e) =>
      choices.has(e.path) && e.message === ''
        ? { path: e.path, message: `must be one of: ${choices.get(e.path)!.join(', ')}` }
        : e,
    )
    .map((e) => (nullable.has(e.path) ? { path: e.path, message: `${e.message} (or null)` } : e))
}

/** The shared text rules in words (ajv would quote their pattern or name their format). */
const FORMAT_WORDS: Record<string, string> = {
  text: 'must not contain control characters (tabs and line breaks are fine)',
  line: 'must be one line, without control characters or direction overrides',
}

/** One failed check in words for the client's developer. */
function messageOf(v: { keyword: string; params: unknown; message?: string }): string {
  const params = v.params as { pattern?: string; format?: string }
  if (v.keyword === 'not') return 'is not accepted here'
  if (v.keyword === 'pattern' && params.pattern === NOT_BLANK) {
    return 'must contain a visible character (not only spaces, line breaks or invisible characters)'
  }
  if (v.keyword === 'format' && params.format !== undefined && FORMAT_WORDS[params.format]) {
    return FORMAT_WORDS[params.format]!
  }
  return v.message ?? 'is invalid'
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered so far (method and URL pattern): the 405 answer and the OpenAPI test read it. */
    routeInventory: { method: string; url: string; pattern: RegExp }[]
    /** The HTML 404 page, decorated by the web pages (src/web/plugin.ts) when they are mounted. */
    notFoundPage: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>
    /** The HTML 405 page for an address only a form posts to, decorated by the web pages too. */
    formOnlyPage: (req: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>
  }
}

function patternOf(url: string): RegExp {
  const escaped = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')
  return new RegExp(`^${escaped}/?$`)
}

const shared: AjvOptions = { strict: false, useDefaults: true, removeAdditional: 'all' }

/** A validator for one part of a request, with our formats; `allErrors` lists every error instead of the first. */
function makeAjv(options: AjvOptions, allErrors: boolean) {
  const ajv = validatorWithFormats({ ...shared, ...options, allErrors })
  ajv.addSchema(Problem)
  return ajv
}

// Unknown fields are ignored everywhere (stripped before the handler sees them), so `role` or `id` in a body
// never takes effect. Bodies are type-strict; query strings and params are coerced from text. Headers are
// validated in place on the raw request: stripping "unknown" ones would delete Authorization, Content-Type
// and every other header a route's schema does not list.
const PART_OPTIONS: Record<'body' | 'text' | 'headers', AjvOptions> = {
  body: { coerceTypes: false },
  text: { coerceTypes: 'array' },
  headers: { removeAdditional: false, coerceTypes: 'array' },
}

// An oversized value (too many items, too long) is reported alone, so a huge bad body costs one short pass.
const OVERSIZE = new Set(['maxItems', 'maxLength', 'maxProperties'])

export default fp(
  async (app) => {
    app.addSchema(Problem)

    const validators = Object.fromEntries(
      Object.entries(PART_OPTIONS).map(([part, options]) => [
        part,
        { first: makeAjv(options, false), all: makeAjv(options, true) },
      ]),
    ) as Record<keyof typeof PART_OPTIONS, { first: Ajv.default; all: Ajv.default }>

    // Each schema is compiled twice: a validator that stops at the first error (a valid request pays nothing
    // more), and one that lists every error, run only on a request already known to be invalid.
    app.setValidatorCompiler(({ schema, httpPart }) => {
      const pair = validators[httpPart === 'body' ? 'body' : httpPart === 'headers' ? 'headers' : 'text']
      const first = pair.first.compile(schema)
      let all: ValidateFunction | undefined
      const validate = (data: unknown): boolean => {
        if (first(data)) {
          validate.errors = null
          return true
        }
        const errors = first.errors ?? []
        if (errors.some((e) => OVERSIZE.has(e.keyword))) {
          validate.errors = errors
        } else {
          all ??= pair.all.compile(schema)
          all(data)
          validate.errors = (all.errors ?? errors).slice(0, MAX_FIELD_ERRORS)
        }
        return false
      }
      validate.errors = null as ErrorObject[] | null
      return validate
    })

    // Request schemas get the shared value rules (text formats, decimal ids, bounded arrays) before the
    // validators and the OpenAPI document read them.
    app.addHook('onRoute', hardenRequestSchemas)

    // Only JSON bodies (multipart where a route registers it): text/plain gets 415, not a string body.
    app.removeContentTypeParser('text/plain')

    // JSON bodies, through Fastify's own parser, with two rules of ours (below). A `__proto__` key, or a
    // `constructor` holding a `prototype`, is valid JSON: it is dropped, as any field a route does not take is,
    // and never reaches an object's prototype. (Refused, it was a 400 MALFORMED_JSON, "not valid JSON".)
    // - an empty body is no body: many clients send Content-Type: application/json with every request, DELETE
    //   included. A route that needs a body then says so (VALIDATION_FAILED, `body`);
    // - the text must be UTF-8: other bytes are refused, not replaced by U+FFFD and stored.
    const parseJson = app.getDefaultJsonParser('remove', 'remove')
    const utf8 = new TextDecoder('utf-8', { fatal: true })
    app.removeContentTypeParser('application/json')
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
      const bytes = body as Buffer
      if (bytes.length === 0) {
        done(null, undefined)
        return
      }
      let text: string
      try {
        text = utf8.decode(bytes)
      } catch {
        done(new AppError('MALFORMED_JSON', 'The body is not valid UTF-8 text'), undefined)
        return
      }
      parseJson(req, text, done)
    })
    // A compressed body would be read as if it were not: refused instead. A callback hook, not an async one:
    // no promise per request.
    app.addHook('onRequest', (req, _reply, done) => {
      const encoding = req.headers['content-encoding']
      if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
        done(
          new AppError(
            'UNSUPPORTED_MEDIA_TYPE',
            `Content-Encoding ${encoding} is not supported: send the body uncompressed`,
          ),
        )
        return
      }
      done()
    })

    app.decorate('routeInventory', [])
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD')
          app.routeInventory.push({ method, url: route.url, pattern: patternOf(route.url) })
      }
    })

    // Every route can answer these; documenting them once keeps the OpenAPI document complete.
    app.addHook('onRoute', (route) => {
      if (!route.schema || route.schema.hide) return
      const response = (route.schema.response ?? {}) as Record<string, unknown>
      for (const status of [400, 429, 500]) response[status] ??= ProblemRef
      if (route.schema.body) {
        response[413] ??= ProblemRef
        response[415] ??= ProblemRef
      }
      route.schema.response = response
    })

    app.setErrorHandler(async (err: FastifyError, req, reply) => {
      if (err instanceof AppError) {
        if (err.headers) reply.headers(err.headers)
        return sendProblem(req, reply, err.status, err.code, err.message, err.errors, err.extensions)
      }
      if (err.validation) {
        const errors = validationErrors(err)
        const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ')
        return sendProblem(req, reply, 400, 'VALIDATION_FAILED', detail, errors)
      }
      const mapped = err.code ? FASTIFY_CODES[err.code] : undefined
      if (mapped) {
        const status = mapped === 'MALFORMED_JSON' || mapped === 'BAD_REQUEST' ? 400 : (err.statusCode ?? 400)
        return sendProblem(req, reply, status, mapped, err.message)
      }
      if (err instanceof SyntaxError && err.statusCode === 400) {
        return sendProblem(req, reply, 400, 'MALFORMED_JSON', 'Request body is not valid JSON')
      }
      if (multipartMalformed(err)) {
        return sendProblem(req, reply, 400, 'BAD_REQUEST', `The multipart body is malformed: ${err.message}`)
      }
      if (dataException(err)) {
        // A value the validators let through but the database refused (out of range, invalid text…).
        req.log.info({ query: queryFailure(err) }, 'request value refused by the database')
        return sendProblem(
          req,
          reply,
          400,
          'VALIDATION_FAILED',
          'A value in the request is out of range or malformed',
        )
      }
      if (databaseUnavailable(err)) {
        const again = await retryAfterLostConnection(app, req, reply)
        if (again) return again
        req.log.warn({ query: queryFailure(err), reason: failureName(err) }, 'database unavailable')
        reply.header('retry-after', RETRY_AFTER_SECONDS)
        return sendProblem(req, reply, 503, 'SERVICE_UNAVAILABLE', 'The database is unavailable; retry later')
      }
      const status = err.statusCode ?? 500
      if (status >= 400 && status < 500) {
        return sendProblem(req, reply, status, GENERIC_CODES[status] ?? 'BAD_REQUEST', err.message)
      }
      if (status === 503) {
        return sendProblem(req, reply, 503, 'SERVICE_UNAVAILABLE', 'The service is overloaded; retry later')
      }
      // A failed statement's message and error carry its text and parameters (an e-mail, a password hash):
      // the log gets its SQLSTATE and constraint only, beside the request id every line has.
      if (isQueryError(err))
        req.log.error({ query: queryFailure(err), reason: failureName(err) }, 'request failed')
      else req.log.error({ err }, 'request failed')
      return sendProblem(req, reply, 500, 'INTERNAL_ERROR', 'An unexpected error occurred')
    })

    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0] ?? '/'
      const allowed = [
        ...new Set(app.routeInventory.filter((r) => r.pattern.test(path)).map((r) => r.method)),
      ]
      if (allowed.length > 0) {
        reply.header('allow', allowed.join(', '))
        // A browser that opens the address of a form's action (typed, or a link) gets a page saying so.
        if (
          app.hasDecorator('formOnlyPage') &&
          !path.startsWith('/api/') &&
          req.headers.accept?.includes('text/html')
        ) {
          return app.formOnlyPage(req, reply)
        }
        return sendProblem(req, reply, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`)
      }
      // A browser asking for a page gets the site's HTML 404 (when the pages are mounted).
      if (app.hasDecorator('notFoundPage') && req.headers.accept?.includes('text/html')) {
        return app.notFoundPage(req, reply)
      }
      return sendProblem(req, reply, 404, 'NOT_FOUND', `No route ${req.method} ${path}`)
    })
  },
  { name: 'errors' },
)
