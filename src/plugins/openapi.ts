// The OpenAPI 3.1 document generated from the route schemas (/openapi.json) and the interactive reference (/docs).
import swagger from '@fastify/swagger'
import scalar from '@scalar/fastify-api-reference'
import fp from 'fastify-plugin'

export default fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Stagedoor API',
          version: '1.0.0',
          description:
            'Event ticketing and social API: events with seating sections, reservations with split invoices, ' +
            'friends, messages, posts, comments and likes. Errors are RFC 9457 problem+json with a stable `code`.',
        },
        servers: [{ url: app.config.PUBLIC_URL }],
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          },
        },
      },
      refResolver: {
        buildLocalReference: (json, _baseUri, _fragment, i) =>
          typeof json.$id === 'string' ? json.$id : `def-${i}`,
      },
    })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
    await app.register(scalar, {
      routePrefix: '/docs',
      configuration: { url: '/openapi.json', theme: 'default' },
    })
  },
  { name: 'openapi', dependencies: ['context'] },
)
