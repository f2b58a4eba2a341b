// The finishing pass over the generated OpenAPI document, in one place instead of in every route: operation
// ids, explicit `security: []` on public operations, bounds on every string, integer and array (what a
// generated client and a linter need to know), enumerations as one `enum`, the 429 answer's headers, the
// problems' media type, and the conditional GET (`If-None-Match`, `ETag`, 304).
import { DEFAULT_MAX_ITEMS, DEFAULT_MAX_LENGTH } from './request-schemas.js'

type Node = Record<string, unknown>
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Integer bounds where a schema gives none (the columns are 32-bit; a larger value is a 400 from the database). */
const INT32 = { minimum: -2_147_483_648, maximum: 2_147_483_647 }

function finishSchema(schema: unknown): void {
  if (Array.isArray(schema)) {
    for (const s of schema) finishSchema(s)
    return
  }
  if (!isNode(schema)) return
  // anyOf of single-value strings (typebox unions of literals) → one enum.
  const union = schema.anyOf
  if (Array.isArray(union) && union.length > 0 && union.every(isSingleString)) {
    schema.type = 'string'
    schema.enum = union.flatMap((u) => (isNode(u) ? ((u.enum as unknown[] | undefined) ?? [u.const]) : []))
    delete schema.anyOf
  }
  if (
    schema.type === 'string' &&
    schema.maxLength === undefined &&
    schema.enum === undefined &&
    schema.const === undefined
  ) {
    schema.maxLength = schema.format === 'date-time' ? 30 : DEFAULT_MAX_LENGTH
  }
  if (schema.type === 'integer') {
    schema.minimum ??= INT32.minimum
    schema.maximum ??= INT32.maximum
    schema.format ??=
      Number(schema.maximum) > INT32.maximum || Number(schema.minimum) < INT32.minimum ? 'int64' : 'int32'
  }
  if (schema.type === 'array') schema.maxItems ??= DEFAULT_MAX_ITEMS
  for (const value of Object.values(schema)) if (typeof value === 'object') finishSchema(value)
}

function isSingleString(s: unknown): boolean {
  if (!isNode(s) || s.type !== 'string') return false
  return s.const !== undefined || (Array.isArray(s.enum) && s.enum.length === 1)
}

const RATE_LIMIT_HEADERS = {
  'Retry-After': {
    description: 'Seconds to wait before retrying',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed in the window',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: INT32.maximum },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the window',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: INT32.maximum },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the window resets',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
}

/** Sent on every answer under /api/ (src/plugins/rate-limit.ts), not only on 429. */
const RATE_LIMIT_STATE = {
  'RateLimit-Limit': RATE_LIMIT_HEADERS['RateLimit-Limit'],
  'RateLimit-Remaining': RATE_LIMIT_HEADERS['RateLimit-Remaining'],
  'RateLimit-Reset': RATE_LIMIT_HEADERS['RateLimit-Reset'],
}

const CORS_HEADER = {
  'Access-Control-Allow-Origin': {
    description: "The request's Origin, when CORS_ORIGINS allows it; absent otherwise",
    schema: { type: 'string', maxLength: 2048 },
  },
}

const operationId = (method: string, path: string) =>
  method +
  path
    .replace(/^\/api\/v1/, '')
    .split(/[/{}_.-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')

const ETAG = {
  description: "The answer's entity tag: send it back in `If-None-Match` to get a 304 while it still holds",
  schema: { type: 'string', maxLength: 100 },
}

/**
 * A GET's answer carries an `ETag`, and `If-None-Match` with the current one gets 304 with no body (app.ts,
 * conditional-get.ts): the request header, the answer's header and the 304, documented on every GET.
 */
function conditional(op: Node): void {
  const parameters = (op.parameters ?? []) as Node[]
  if (!parameters.some((p) => p.in === 'header' && String(p.name).toLowerCase() === 'if-none-match')) {
    parameters.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description: 'The `ETag` of an answer you hold: 304 while it is still the current one',
      schema: { type: 'string', maxLength: 1000 },
    })
  }
  op.parameters = parameters
  const ok = (op.responses as Node)['200'] as Node
  ok.headers = { ETag: ETAG, ...(ok.headers as Node | undefined) }
  ;(op.responses as Node)['304'] ??= {
    description: 'Not Modified: the `If-None-Match` tag is the current one; no body',
    headers: { ETag: ETAG },
  }
}

const PROBLEM_REF = '#/components/schemas/Problem'

/**
 * A problem is sent as `application/problem+json` (RFC 9457; plugins/errors.ts): the document says so, so that a
 * client or a contract check that compares the answer's Content-Type with the document finds the same type.
 */
function problemMediaType(response: Node): void {
  const content = response.content
  if (!isNode(content)) return
  // Under the route's own media type where it gives one (the avatar's image/webp).
  const problem = Object.values(content).find(
    (m) => isNode(m) && isNode(m.schema) && m.schema.$ref === PROBLEM_REF,
  )
  if (problem) response.content = { 'application/problem+json': problem }
}

/** Returns a finished copy of `doc` (the generated one is cached by @fastify/swagger and left as it is). */
export function finishDocument<T>(doc: T): T {
  const out = structuredClone(doc) as Node
  const paths = (out.paths ?? {}) as Record<string, Record<string, Node>>
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!isNode(op) || !isNode(op.responses)) continue
      op.operationId ??= operationId(method, path)
      op.security ??= []
      const limited = path.startsWith('/api/')
      if (limited && path.startsWith('/api/v1/admin/')) op.security = [{ adminBearerAuth: [] }]
      if (method === 'get' && isNode(op.responses['200'])) conditional(op)
      for (const [status, response] of Object.entries(op.responses)) {
        if (!isNode(response)) continue
        const headers: Node = { ...CORS_HEADER }
        if (status === '429') Object.assign(headers, RATE_LIMIT_HEADERS)
        else if (limited && /^[234]/.test(status)) Object.assign(headers, RATE_LIMIT_STATE)
        response.headers = { ...headers, ...(response.headers as Node | undefined) }
        problemMediaType(response)
      }
    }
  }
  finishSchema(out.paths)
  finishSchema(out.components)
  return out as T
}
