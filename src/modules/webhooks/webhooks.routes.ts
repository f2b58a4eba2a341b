// Webhook endpoints and their delivery log, for their owner only.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import {
  DeliveryParams,
  WebhookBody,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEndpointCreated,
  WebhookListQuery,
  WebhookPatch,
} from './webhooks.schemas.js'
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  updateWebhook,
} from './webhooks.service.js'

const OWNER_ONLY = "The owner's only: anyone else's answers 404."

export const webhookRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/users/me/webhooks',
    {
      schema: {
        summary: 'Register a webhook endpoint',
        operationId: 'createWebhook',
        description:
          'Your events of the listed types are POSTed to `url`, signed the Standard Webhooks way: headers ' +
          '`webhook-id`, `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of ' +
          '"id.timestamp.body">` keyed with the `secret` (shown here only), body `{type, timestamp, data}`. ' +
          'A non-2xx answer (redirects are not followed) or none within 10 s is retried with exponential ' +
          'backoff for 24 h, the first retry within 30 s. A URL that is not http(s), or whose host is or ' +
          'resolves to a loopback, private, link-local or other non-public address: 400 WEBHOOK_URL_FORBIDDEN. ' +
          'At most 10 endpoints per account (409 CONFLICT). `Location` names the new endpoint.',
        tags: ['webhooks'],
        body: WebhookBody,
        response: { 201: WebhookEndpointCreated, 400: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const hook = await createWebhook(app.ctx, actorOf(req), req.body)
      return reply.code(201).header('location', `${app.prefix}/webhooks/${hook.id}`).send(hook)
    },
  )

  app.get(
    '/users/me/webhooks',
    {
      schema: {
        summary: 'Your webhook endpoints',
        operationId: 'listWebhooks',
        description: 'Oldest first. The secrets are not shown again.',
        tags: ['webhooks'],
        querystring: WebhookListQuery,
        response: { 200: Paginated(WebhookEndpoint) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      sendPage(req, reply, await listWebhooks(app.ctx, actorOf(req), pageParams(req.query))),
  )

  app.get(
    '/webhooks/:id',
    {
      schema: {
        summary: 'A webhook endpoint',
        operationId: 'getWebhook',
        description: OWNER_ONLY,
        tags: ['webhooks'],
        params: IdParams,
        response: { 200: WebhookEndpoint, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getWebhook(app.ctx, actorOf(req), req.params.id),
  )

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Change a webhook endpoint',
        operationId: 'updateWebhook',
        description: `${OWNER_ONLY} \`active: false\` stops deliveries (pending ones end failed); a new \`url\` is checked as at creation (400 WEBHOOK_URL_FORBIDDEN).`,
        tags: ['webhooks'],
        params: IdParams,
        body: WebhookPatch,
        response: { 200: WebhookEndpoint, 400: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updateWebhook(app.ctx, actorOf(req), req.params.id, req.body),
  )

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a webhook endpoint',
        operationId: 'deleteWebhook',
        description: `${OWNER_ONLY} Its delivery log goes with it.`,
        tags: ['webhooks'],
        params: IdParams,
        response: { 204: Empty, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await deleteWebhook(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: "A webhook endpoint's deliveries",
        operationId: 'listWebhookDeliveries',
        description: `${OWNER_ONLY} Newest first.`,
        tags: ['webhooks'],
        params: IdParams,
        querystring: WebhookListQuery,
        response: { 200: Paginated(WebhookDelivery), 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      sendPage(req, reply, await listDeliveries(app.ctx, actorOf(req), req.params.id, pageParams(req.query))),
  )

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/redeliver',
    {
      schema: {
        summary: 'Send a delivery again',
        operationId: 'redeliverWebhook',
        description: `${OWNER_ONLY} The delivery becomes pending with a fresh retry window; its next attempt is queued now (same \`webhook-id\`).`,
        tags: ['webhooks'],
        params: DeliveryParams,
        response: { 202: WebhookDelivery, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(202).send(await redeliver(app.ctx, actorOf(req), req.params.id, req.params.delivery_id)),
  )
}
