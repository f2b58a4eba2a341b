// The OpenAPI 3.1 document generated from the route schemas (/openapi.json) and the interactive reference (/docs).

import swagger from '@fastify/swagger'
import type { FastifyApiReferenceOptions } from '@scalar/fastify-api-reference'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ownOrigin } from '../config.js'
import { finishDocument } from './openapi-document.js'

/**
 * The reading order of the reference: how a newcomer meets the API. A tag used by a route and missing here
 * comes after these, in alphabetical order.
 */
export const TAG_ORDER: { name: string; description: string }[] = [
  { name: 'auth', description: 'Register, log in, refresh and revoke tokens, verify and reset' },
  { name: 'users', description: 'Profiles, your own account and avatar' },
  { name: 'events', description: 'The catalogue: events, sections, seats and sales' },
  { name: 'reservations', description: 'Holding tickets, for yourself and for friends' },
  { name: 'box-office', description: 'Reservations, tickets and invoices' },
  { name: 'tickets', description: 'Your tickets: transfer and refund' },
  { name: 'invoices', description: 'Invoices and their payment' },
  { name: 'waitlist', description: 'Waiting lists of sold-out sections, and the offers they make' },
  { name: 'vouchers', description: 'Discount codes of an event, kept by its organizer' },
  { name: 'check-in', description: 'Signed ticket codes, checking tickets in at the door, and door staff' },
  { name: 'webhooks', description: 'Signed callbacks to your URLs when something happens at your events' },
  { name: 'search', description: 'Users, events and posts by name' },
  { name: 'friends', description: 'Friend requests and friendships' },
  { name: 'messages', description: 'Direct messages between friends' },
  { name: 'posts', description: 'Posts and the feed' },
  { name: 'comments', description: 'Comments on posts' },
  { name: 'likes', description: 'Likes on posts' },
  { name: 'admin', description: 'Administration' },
  { name: 'operations', description: 'Health and metrics' },
]

interface Document {
  tags?: { name: string; description?: string }[]
  paths?: Record<string, Record<string, { tags?: string[] }>>
  servers?: { url: string; 'x-internal'?: boolean }[]
  [key: string]: unknown
}

/** The document with its top-level `tags` in TAG_ORDER: those the routes use, known ones first. */
export function withTagOrder<T extends Document>(doc: T): T {
  const used = new Set<string>()
  for (const item of Object.values(doc.paths ?? {})) {
    for (const op of Object.values(item)) for (const tag of op.tags ?? []) used.add(tag)
  }
  const known = TAG_ORDER.filter((t) => used.has(t.name))
  const others = [...used]
    .filter((name) => !TAG_ORDER.some((t) => t.name === name))
    .sort()
    .map((name) => ({ name }))
  return { ...doc, tags: [...known, ...others] }
}

// Everything in the reference that calls a hosted service is off: the docs work offline and send nothing out.
const SCALAR: FastifyApiReferenceOptions = {
  routePrefix: '/docs',
  configuration: {
    url: '/openapi.json',
    theme: 'default',
    // "Open in API client" (client.scalar.com) and the developer toolbar (share, deploy, configure).
    hideClientButton: true,
    showDeveloperTools: 'never',
    // The AI agent and the "generate an MCP server" offer.
    agent: { disabled: true },
    mcp: { disabled: true },
    telemetry: false,
    // Fonts from Scalar's CDN; the system fonts instead.
    withDefaultFonts: false,
  },
}

interface CachedResponse {
  status: number
  headers: Record<string, string>
  body: Buffer
}

/**
 * The reference's page and script (Scalar's plugin, a 4 MB bundle) are built on the first request to /docs, in
 * a small Fastify instance of their own, and cached: a server process that nobody asks for the docs never
 * loads them.
 */
function lazyReference() {
  let inner: Promise<ReturnType<typeof Fastify>> | undefined
  const cache = new Map<string, CachedResponse>()
  return async (url: string): Promise<CachedResponse> => {
    const hit = cache.get(url)
    if (hit) return hit
    inner ??= (async () => {
      const { default: scalar } = await import('@scalar/fastify-api-reference')
      const docs = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } })
      await docs.register(scalar, SCALAR)
      await docs.ready()
      return docs
    })()
    const res = await (await inner).inject({ method: 'GET', url })
    const headers: Record<string, string> = {}
    for (const name of ['content-type', 'location']) {
      const value = res.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    const response = { status: res.statusCode, headers, body: res.rawPayload }
    if (res.statusCode === 200) cache.set(url, response)
    return response
  }
}

export default fp(
  async (app) => {
    const config = app.config
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Stagedoor API',
          version: '1.0.0',
          description:
            'Event ticketing and social API: events with seating sections, reservations with split invoices, ' +
            'friends, messages, posts, comments and likes. Errors are RFC 9457 problem+json with a stable `code`. ' +
            'A body field an operation does not list is ignored, never an error: a `role`, an `id` or a `status` ' +
            'sent to a PATCH changes nothing (an event changes status through publish and cancel). A change ' +
            'that must name a field (a voucher, a webhook endpoint) and names none it knows is 400.',
        },
        servers: [{ url: config.PUBLIC_URL }],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'An access token from login or refresh: a JWT (HS256, 15 minutes) following RFC8725 (JSON Web ' +
                'Token Best Current Practices): one algorithm, `none` refused, `type` and expiry checked.',
            },
            adminBearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'An access token (RFC8725, as bearerAuth) of an account whose role is admin; the role is read ' +
                'from the database on every request, so a demoted admin loses it at once.',
            },
          },
        },
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    })

    // The server the document advertises, where "try it" sends requests: PUBLIC_URL when it is configured;
    // left to its default (this server's own origin), the origin the document was requested from, so that it
    // also works through another name or address of this machine.
    const configured = config.PUBLIC_URL !== ownOrigin(config.HOST, config.PORT)
    const serverOf = (req: FastifyRequest) =>
      configured ? config.PUBLIC_URL : `${req.protocol}://${req.host}`
    let ordered: Document | undefined
    app.get('/openapi.json', { schema: { hide: true } }, async (req) => {
      ordered ??= withTagOrder(finishDocument(app.swagger()) as unknown as Document)
      return { ...ordered, servers: [{ url: serverOf(req), 'x-internal': false }] }
    })

    const reference = lazyReference()
    const serve = async (req: FastifyRequest, reply: FastifyReply) => {
      const { status, headers, body } = await reference(req.url.split('?')[0]!)
      return reply.code(status).headers(headers).send(body)
    }
    app.get('/docs', { schema: { hide: true } }, serve)
    app.get('/docs/js/scalar.js', { schema: { hide: true } }, serve)
  },
  { name: 'openapi', dependencies: ['context'] },
)
