// Every operation of /openapi.json, fed values generated from its own schemas (valid ones and hostile ones:
// NUL, lone surrogates, RTL marks, 10 kB strings, 2^31, 2^53, NaN text, leap seconds, year 10000, Feb 30,
// forged cursors), sent with a real token and without one. No answer may be a 5xx; every answer must match the
// status, media type and schema documented for it; every problem must carry a documented code. Seeded
// (PROPERTY_SEED) and bounded (PROPERTY_RUNS samples per operation) so that a failure replays.
import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../../src/lib/errors.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../helpers.js'
import { hostile, type JsonSchema, paramText } from './arbitraries.js'

const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_202)
const RUNS = Number(process.env.PROPERTY_RUNS ?? 20)

// Operations that end the caller's own session or need a multipart body: their own tests cover them.
const SKIPPED = new Set([
  'DELETE /api/v1/users/me',
  'POST /api/v1/auth/logout',
  'POST /api/v1/auth/logout-all',
  'PUT /api/v1/users/me/password',
  'PUT /api/v1/users/me/avatar',
])

interface Operation {
  method: string
  path: string
  parameters?: { name: string; in: string; schema?: JsonSchema; required?: boolean }[]
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> }
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>
}

let app: App
let me: TestUser
let doc: { paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> }
let ids: number[] = []

beforeAll(async () => {
  app = await buildTestApp()
  me = await registerUser(app)
  const friend = await registerUser(app)
  await makeFriends(app, me, friend)
  const event = await makeEvent(app, me)
  const post = await makePost(app, me)
  ids = [me.id, friend.id, event.id, event.sections[0].id, post.id]
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
})
afterAll(() => app.close())

/** Percent-encoding that also writes a lone surrogate (as its WTF-8 bytes), as a hostile client would. */
function encode(text: string): string {
  try {
    return encodeURIComponent(text)
  } catch {
    return [...text]
      .map((c) => {
        try {
          return encodeURIComponent(c)
        } catch {
          const u = c.charCodeAt(0)
          return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 63), 0x80 | (u & 63)]
            .map((b) => `%${b.toString(16)}`)
            .join('')
        }
      })
      .join('')
  }
}

function operations(): Operation[] {
  const ops: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      if (SKIPPED.has(`${method.toUpperCase()} ${path}`)) continue
      ops.push({ ...op, method: method.toUpperCase(), path })
    }
  }
  return ops
}

/**
 * Sends every operation RUNS generated requests with `headers` (seeds from `seed`) and checks each answer: no
 * 5xx, a documented status and media type, a body that matches its schema, a documented problem code; and a
 * GET's 200 asked for again with its ETag, a documented 304.
 */
async function sweep(headers: () => Record<string, string>, seed: number): Promise<void> {
  const ajv = addFormats.default(new Ajv.default({ strict: false, allErrors: false, validateFormats: false }))
  const codes = new Set<string>(ERROR_CODES)
  const failures: string[] = []
  let sent = 0
  let notModified = 0

  for (const [index, op] of operations().entries()) {
    const params = op.parameters ?? []
    const bodySchema = op.requestBody?.content?.['application/json']?.schema
    const request = fc.record({
      path: fc.record(
        Object.fromEntries(
          // Never empty: an empty last segment addresses another route (the collection, whose other
          // methods answer 405), not this operation with a bad value.
          params
            .filter((p) => p.in === 'path')
            .map((p) => [p.name, paramText(p.schema, ids).filter((v) => v !== '')]),
        ),
      ),
      query: fc.record(
        Object.fromEntries(
          // A parameter no value satisfies (`not: {}`: a list's `sort` when it has one order) is left out, as
          // a client would; the sorting test sends it.
          params
            .filter((p) => p.in === 'query' && p.schema?.not === undefined)
            .map((p) => [p.name, paramText(p.schema, ids)]),
        ),
        { requiredKeys: [] },
      ),
      body: bodySchema ? hostile(bodySchema, ids) : fc.constant(undefined),
    })
    for (const sample of fc.sample(request, { seed: seed + index, numRuns: RUNS })) {
      const query = Object.entries(sample.query as Record<string, string>)
        .map(([k, v]) => `${k}=${encode(v)}`)
        .join('&')
      const url =
        op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encode(sample.path[name] ?? '1')) +
        (query ? `?${query}` : '')
      const res = await app.inject({
        method: op.method as 'GET',
        url,
        headers: headers(),
        ...(sample.body !== undefined ? { payload: sample.body as object } : {}),
      })
      sent++
      const where = `${op.method} ${url.slice(0, 200)} (seed ${seed + index}) → ${res.statusCode}`
      if (res.statusCode >= 500) {
        failures.push(`${where}: ${res.body.slice(0, 300)}`)
        continue
      }
      const documented = op.responses[String(res.statusCode)]
      if (!documented) {
        failures.push(`${where}: status not documented (${res.body.slice(0, 200)})`)
        continue
      }
      // The answer's media type is one the document gives for its status (a problem is application/problem+json).
      const type = String(res.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
      if (documented.content && res.body.length > 0 && !(type in documented.content)) {
        failures.push(`${where}: Content-Type ${type} not documented (${Object.keys(documented.content)})`)
        continue
      }
      const schema = Object.values(documented.content ?? {})[0]?.schema
      if (schema && res.body.length > 0 && res.headers['content-type']?.toString().includes('json')) {
        const body = res.json()
        const check = ajv.compile({ ...schema, components: doc.components })
        if (!check(body)) failures.push(`${where}: body does not match: ${ajv.errorsText(check.errors)}`)
        if (res.statusCode >= 400 && !codes.has(body.code))
          failures.push(`${where}: undocumented code ${body.code}`)
      }
      // A GET's answer asked for again with its ETag: 304 with no body, documented (200 if it changed since).
      if (op.method === 'GET' && res.statusCode === 200 && res.headers.etag) {
        const again = await app.inject({
          method: 'GET',
          url,
          headers: { ...headers(), 'if-none-match': String(res.headers.etag) },
        })
        sent++
        if (again.statusCode === 304) notModified++
        if (again.statusCode !== 304 && again.statusCode !== 200)
          failures.push(`${where}, again with its ETag → ${again.statusCode}`)
        else if (again.statusCode === 304 && (!op.responses['304'] || again.body.length > 0))
          failures.push(`${where}, again with its ETag → 304, undocumented or with a body`)
      }
    }
  }
  console.log(
    `property figures: ${JSON.stringify({ operations: operations().length, sent, notModified, failures: failures.length })}`,
  )
  expect(failures.slice(0, 30)).toEqual([])
  expect(notModified).toBeGreaterThan(0)
}

describe('every operation of the OpenAPI document, with generated values', () => {
  it(
    'signed in: never answers 5xx; every answer matches its documented schema; every problem has a documented code',
    () => sweep(() => me.auth, SEED),
    180_000,
  )

  // The routes a token is optional for (the catalogue, search) read as an anonymous caller by another path; the
  // others answer 401, which is documented too.
  it('anonymous: the same', () => sweep(() => ({}), SEED + 100_000), 180_000)
})
