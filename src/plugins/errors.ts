// Validation and the one error handler: every failure leaves as application/problem+json with a stable code.
import Ajv, { type Options as AjvOptions } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { AppError, type ErrorCode, type FieldError } from '../lib/errors.js'
import { Problem, ProblemRef } from '../lib/schemas.js'

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
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

export function problemType(code: string): string {
  return `urn:stagedoor:problem:${code.toLowerCase().replaceAll('_', '-')}`
}

export function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: FieldError[],
) {
  return reply
    .code(status)
    .type('application/problem+json; charset=utf-8')
    .send({
      type: problemType(code),
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
      ...(errors ? { errors } : {}),
      request_id: req.id,
    })
}

function validationErrors(err: FastifyError): FieldError[] {
  const context = err.validationContext ?? 'body'
  return (err.validation ?? []).map((v) => {
    const segments = v.instancePath.split('/').filter(Boolean)
    const missing = (v.params as { missingProperty?: string }).missingProperty
    if (missing) segments.push(missing)
    return { path: [context, ...segments].join('.'), message: v.message ?? 'is invalid' }
  })
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered so far (method and URL pattern): the 405 answer and the OpenAPI test read it. */
    routeInventory: { method: string; url: string; pattern: RegExp }[]
  }
}

function patternOf(url: string): RegExp {
  const escaped = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')
  return new RegExp(`^${escaped}/?$`)
}

const shared: AjvOptions = { allErrors: true, strict: false, useDefaults: true, removeAdditional: 'all' }

export default fp(
  async (app) => {
    app.addSchema(Problem)

    // Unknown fields are ignored everywhere (stripped before the handler sees them), so `role` or `id`
    // in a body never takes effect. Bodies are type-strict; query strings and params are coerced from text.
    const bodyAjv = addFormats.default(new Ajv.default({ ...shared, coerceTypes: false }))
    const textAjv = addFormats.default(new Ajv.default({ ...shared, coerceTypes: 'array' }))
    // Headers are validated in place on the raw request: stripping "unknown" ones would delete
    // Authorization, Content-Type and every other header a route's schema does not list.
    const headerAjv = addFormats.default(
      new Ajv.default({ ...shared, removeAdditional: false, coerceTypes: 'array' }),
    )
    for (const ajv of [bodyAjv, textAjv, headerAjv]) ajv.addSchema(Problem)
    app.setValidatorCompiler(({ schema, httpPart }) =>
      (httpPart === 'body' ? bodyAjv : httpPart === 'headers' ? headerAjv : textAjv).compile(schema),
    )

    // Only JSON bodies (multipart where a route registers it): text/plain gets 415, not a string body.
    app.removeContentTypeParser('text/plain')

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

    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof AppError) {
        if (err.headers) reply.headers(err.headers)
        return sendProblem(req, reply, err.status, err.code, err.message, err.errors)
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
      const status = err.statusCode ?? 500
      if (status >= 400 && status < 500) {
        return sendProblem(req, reply, status, GENERIC_CODES[status] ?? 'BAD_REQUEST', err.message)
      }
      if (status === 503) {
        return sendProblem(req, reply, 503, 'SERVICE_UNAVAILABLE', 'The service is overloaded; retry later')
      }
      req.log.error({ err }, 'request failed')
      return sendProblem(req, reply, 500, 'INTERNAL_ERROR', 'An unexpected error occurred')
    })

    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0] ?? '/'
      const allowed = [
        ...new Set(app.routeInventory.filter((r) => r.pattern.test(path)).map((r) => r.method)),
      ]
      if (allowed.length > 0) {
        reply.header('allow', allowed.join(', '))
        return sendProblem(req, reply, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`)
      }
      return sendProblem(req, reply, 404, 'NOT_FOUND', `No route ${req.method} ${path}`)
    })
  },
  { name: 'errors' },
)
