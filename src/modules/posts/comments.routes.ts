// Comments on posts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { createComment, deleteComment, listComments, updateComment } from './comments.service.js'
import { Comment, CommentBody, CommentListQuery } from './posts.schemas.js'

export const commentsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/posts/:id/comments',
    {
      schema: {
        summary: 'Comments on a post, oldest first',
        tags: ['comments'],
        params: IdParams,
        querystring: CommentListQuery,
        response: { 200: Paginated(Comment), 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      sendPage(req, reply, await listComments(app.ctx, req.params.id, pageParams(req.query))),
  )

  app.post(
    '/posts/:id/comments',
    {
      schema: {
        summary: 'Comment on a post',
        tags: ['comments'],
        params: IdParams,
        body: CommentBody,
        response: { 201: Comment, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await createComment(app.ctx, actorOf(req), req.params.id, req.body.body)),
  )

  app.patch(
    '/comments/:id',
    {
      schema: {
        summary: 'Edit a comment (author or admin)',
        tags: ['comments'],
        params: IdParams,
        body: CommentBody,
        response: { 200: Comment, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updateComment(app.ctx, actorOf(req), req.params.id, req.body.body),
  )

  app.delete(
    '/comments/:id',
    {
      schema: {
        summary: 'Delete a comment (its author, the post author, or an admin)',
        tags: ['comments'],
        params: IdParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await deleteComment(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )
}
