import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

describe('GET /openapi.json', () => {
  it('documents every registered API route with a summary, tags, responses and security where a token is needed', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    expect(doc.openapi).toBe('3.1.0')
    const api = app.routeInventory.filter((r) => r.url.startsWith('/api/') || r.url.startsWith('/health'))
    expect(api.length).toBeGreaterThan(10)
    for (const { method, url } of api) {
      const path = url.replace(/:(\w+)/g, '{$1}')
      const op = doc.paths[path]?.[method.toLowerCase()]
      expect(op, `${method} ${url} is missing from the OpenAPI document`).toBeDefined()
      expect(op.summary, `${method} ${url} has no summary`).toBeTruthy()
      expect(op.tags?.length, `${method} ${url} has no tags`).toBeGreaterThan(0)
      expect(Object.keys(op.responses).length).toBeGreaterThan(1)
    }
    expect(doc.paths['/api/v1/users/me'].get.security).toEqual([{ bearerAuth: [] }])
    expect(doc.paths['/api/v1/users/me'].get.responses['401']).toBeDefined()
    expect(doc.paths['/api/v1/auth/login'].post.security).toEqual([])
    expect(doc.components.schemas.Problem).toBeDefined()
  })

  it('documents every problem answer as application/problem+json, the type the server sends', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    const types = new Set<string>()
    for (const methods of Object.values(doc.paths) as Record<string, { responses: object }>[]) {
      for (const op of Object.values(methods)) {
        for (const response of Object.values(op.responses) as { content?: Record<string, unknown> }[]) {
          for (const [type, media] of Object.entries(response.content ?? {})) {
            if (JSON.stringify(media).includes('#/components/schemas/Problem')) types.add(type)
          }
        }
      }
    }
    expect([...types]).toEqual(['application/problem+json'])
    const missing = await app.inject({ method: 'GET', url: '/api/v1/events/999999' })
    expect(missing.statusCode).toBe(404)
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/)
  })

  it('serves the interactive reference with its assets locally', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' })
    expect(page.statusCode).toBe(200)
    expect(page.headers['content-type']).toMatch(/text\/html/)
    const script = /src="([^"]+\.js)"/.exec(page.body)?.[1]
    expect(script).toBeDefined()
    const asset = await app.inject({ method: 'GET', url: `/docs/${script}` })
    expect(asset.statusCode).toBe(200)
  })
})
