// GET /search: users, events and posts in one call.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { SearchQuery, SearchResults } from './search.schemas.js'
import { search } from './search.service.js'

export const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/search',
    {
      schema: {
        summary: 'Search users, events and posts',
        description:
          'Partial and case-insensitive (`my` finds Tommy, Amy and Sammy), closest matches first by trigram ' +
          'similarity, ties by id. Events: published only. Users and posts need a token: anonymous callers ' +
          'get them empty, or 401 when they name them in `type`.',
        tags: ['search'],
        querystring: SearchQuery,
        response: { 200: SearchResults },
      },
      onRequest: app.authenticateOptional,
    },
    async (req) => search(app.readCtx(req), req.actor, req.query),
  )
}
