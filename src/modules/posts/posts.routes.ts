// Posts, the friends feed and likes.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sendJsonText } from '../../lib/json-text.js'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { CursorPage, Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf, claimsOf } from '../../plugins/auth.js'
import { SEARCH_TOTAL_CAP } from './posts.list.js'
import { CreatePostBody, FeedQuery, Post, PostListQuery, UpdatePostBody } from './posts.schemas.js'
import {
  createPost,
  deletePost,
  feed,
  getPost,
  likePost,
  listPostsJson,
  unlikePost,
  updatePost,
} from './posts.service.js'

export const postsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/posts',
    {
      schema: {
        summary: 'List and search posts',
        description:
          'Filters: `author_id`, `event_id`, `q` (any part of the body, case-insensitive). ' +
          'Default order: newest first (`-created_at`). `event_id` of an event you cannot see is 404; a post ' +
          'about a draft you cannot see shows `event: null`. ' +
          '`total` is exact without `q`. With `q` it counts matches up to ' +
          `${SEARCH_TOTAL_CAP.toLocaleString('en')}: a search matching more reports ${SEARCH_TOTAL_CAP.toLocaleString('en')} ` +
          '(and `total_pages` from it); keep paging while pages are full.',
        tags: ['posts'],
        querystring: PostListQuery,
        response: { 200: Paginated(Post), 404: ProblemRef },
      },
      // The token is checked in the page's own statement: one round trip (posts.list.ts).
      onRequest: app.authenticateInStatement,
    },
    async (req, reply) => {
      const { body, page } = await listPostsJson(
        app.ctx,
        { claims: claimsOf(req) },
        req.query,
        pageParams(req.query),
      )
      sendPage(req, reply, page)
      return sendJsonText(reply, body)
    },
  )

  app.post(
    '/posts',
    {
      schema: {
        summary: 'Write a post',
        description:
          '`event_id` must be an event you can see (published, or your own); `shared_post_id` shares a post ' +
          '(its `share_count` goes up). Either unknown: 404. `Location` names the new post.',
        tags: ['posts'],
        body: CreatePostBody,
        response: { 201: Post, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const post = await createPost(app.ctx, actorOf(req), req.body)
      return reply.code(201).header('location', `${app.prefix}/posts/${post.id}`).send(post)
    },
  )

  app.get(
    '/posts/:id',
    {
      schema: {
        summary: 'A post',
        tags: ['posts'],
        params: IdParams,
        response: { 200: Post, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getPost(app.ctx, actorOf(req), req.params.id),
  )

  app.patch(
    '/posts/:id',
    {
      schema: {
        summary: 'Edit a post (author or admin)',
        tags: ['posts'],
        params: IdParams,
        body: UpdatePostBody,
        response: { 200: Post, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updatePost(app.ctx, actorOf(req), req.params.id, req.body),
  )

  app.delete(
    '/posts/:id',
    {
      schema: {
        summary: 'Delete a post (author or admin)',
        description:
          'Its comments and likes are deleted with it. Posts that shared it stay, with `shared_post: null`.',
        tags: ['posts'],
        params: IdParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await deletePost(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/feed',
    {
      schema: {
        summary: "Your and your friends' posts, newest first",
        tags: ['posts'],
        querystring: FeedQuery,
        response: { 200: CursorPage(Post) },
      },
      onRequest: app.authenticate,
    },
    async (req) => feed(app.ctx, actorOf(req), req.query),
  )

  app.put(
    '/posts/:id/like',
    {
      schema: {
        summary: 'Like a post',
        description: 'Idempotent: liking a post you already like changes nothing.',
        tags: ['likes'],
        params: IdParams,
        response: { 204: Empty, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await likePost(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  app.delete(
    '/posts/:id/like',
    {
      schema: {
        summary: 'Remove your like',
        description: 'Idempotent: 204 whether or not you liked the post.',
        tags: ['likes'],
        params: IdParams,
        response: { 204: Empty, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await unlikePost(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )
}
