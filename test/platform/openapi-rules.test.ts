// The rules a linter (Redocly recommended, Spectral OWASP) checks on the OpenAPI document, asserted directly:
// operation ids, explicit security, bounded strings, integers and arrays, enums as one array, 429 headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from '../helpers.js'

let app: App
let doc: {
  paths: Record<string, Record<string, Record<string, unknown>>>
  components: Record<string, unknown>
}
beforeAll(async () => {
  app = await buildTestApp()
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
})
afterAll(() => app.close())

function* schemas(node: unknown, at: string): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(node)) {
    for (const [i, n] of node.entries()) yield* schemas(n, `${at}/${i}`)
    return
  }
  if (typeof node !== 'object' || node === null) return
  const obj = node as Record<string, unknown>
  if (typeof obj.type === 'string') yield [at, obj]
  for (const [k, v] of Object.entries(obj)) yield* schemas(v, `${at}/${k}`)
}

describe('the OpenAPI document', () => {
  it('gives every operation a unique operationId and an explicit security (public ones: [])', () => {
    const ids = new Set<string>()
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op.operationId, `${method} ${path}`).toEqual(expect.any(String))
        expect(ids.has(op.operationId as string), `${op.operationId} twice`).toBe(false)
        ids.add(op.operationId as string)
        expect(Array.isArray(op.security), `${method} ${path}`).toBe(true)
      }
    }
    expect(doc.paths['/api/v1/auth/login']!.post!.security).toEqual([])
  })

  it('bounds every string, integer and array, and writes enumerations as one enum', () => {
    const unbounded: string[] = []
    for (const [at, s] of schemas({ paths: doc.paths, components: doc.components }, '')) {
      if (s.type === 'string' && s.maxLength === undefined && s.enum === undefined && s.const === undefined)
        unbounded.push(`${at}: string without maxLength`)
      if (
        s.type === 'integer' &&
        (s.format === undefined || s.minimum === undefined || s.maximum === undefined)
      )
        unbounded.push(`${at}: integer without format or bounds`)
      if (s.type === 'array' && s.maxItems === undefined) unbounded.push(`${at}: array without maxItems`)
      const anyOf = s.anyOf as Record<string, unknown>[] | undefined
      if (
        anyOf?.every(
          (u) => u.type === 'string' && (u.const !== undefined || (u.enum as unknown[])?.length === 1),
        )
      )
        unbounded.push(`${at}: enum as anyOf`)
    }
    expect(unbounded.slice(0, 20)).toEqual([])
    const sort = (
      doc.paths['/api/v1/events']!.get!.parameters as { name: string; schema: { enum?: string[] } }[]
    ).find((p) => p.name === 'sort')
    expect(sort!.schema.enum).toContain('-starts_at')
  })

  it('documents 429 with Retry-After and the RateLimit-* headers on every operation', () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue
      for (const [method, op] of Object.entries(methods)) {
        const tooMany = (op.responses as Record<string, { headers?: Record<string, unknown> }>)['429']
        expect(Object.keys(tooMany?.headers ?? {}), `${method} ${path}`).toEqual(
          expect.arrayContaining([
            'Retry-After',
            'RateLimit-Limit',
            'RateLimit-Remaining',
            'RateLimit-Reset',
          ]),
        )
      }
    }
  })
})
