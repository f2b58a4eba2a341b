import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser } from '../helpers.js'

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

  it('documents sums of money as int64, and an invoice and a revenue past 32 bits fit what it says', async () => {
    const big = await buildTestApp({ MAX_HELD_TICKETS_PER_EVENT: '30' })
    try {
      const doc = (await big.inject({ method: 'GET', url: '/openapi.json' })).json()
      const resolve = (schema: { $ref?: string }) =>
        schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema
      const answer = (path: string) =>
        resolve(doc.paths[path].get.responses['200'].content['application/json'].schema)
      const invoice = answer('/api/v1/invoices/{id}').properties
      const sales = answer('/api/v1/events/{id}/sales').properties
      const sums = [invoice.amount_cents, invoice.refunded_cents, sales.totals.properties.revenue_cents]
      for (const sum of sums) expect(sum).toMatchObject({ type: 'integer', format: 'int64' })

      const organizer = await registerUser(big)
      const buyer = await registerUser(big)
      const event = await makeEvent(big, organizer, {
        max_tickets_per_user: 100,
        sections: [{ price_cents: 100_000_000, capacity: 30 }],
      })
      const held = await big.inject({
        method: 'POST',
        url: `/api/v1/events/${event.id}/reservations`,
        headers: buyer.auth,
        payload: { section_id: event.sections[0].id, quantity: 25 },
      })
      expect(held.statusCode).toBe(201)
      const invoiceId = held.json().invoices[0].id
      const paid = await big.inject({
        method: 'POST',
        url: `/api/v1/invoices/${invoiceId}/pay`,
        headers: buyer.auth,
        payload: { payment_method: 'test_ok' },
      })
      expect(paid.json().amount_cents).toBe(2_500_000_000)
      expect(paid.json().amount_cents).toBeLessThanOrEqual(invoice.amount_cents.maximum)
      const report = await big.inject({ url: `/api/v1/events/${event.id}/sales`, headers: organizer.auth })
      expect(report.json().totals.revenue_cents).toBe(2_500_000_000)
      expect(report.json().totals.revenue_cents).toBeLessThanOrEqual(
        sales.totals.properties.revenue_cents.maximum,
      )
    } finally {
      await big.close()
    }
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
