// POST /events/{id}/cancel: the one events route the box office owns, because it moves money.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { Event } from '../events/events.schemas.js'
import { cancelEvent } from './cancellation.service.js'

export const cancellationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/:id/cancel',
    {
      schema: {
        summary: 'Cancel an event',
        description:
          'Organizer or admin. The event becomes `cancelled`; open invoices are voided, paid ones refunded in ' +
          'full, every held or confirmed ticket cancelled and its place given back. Cancelling a cancelled ' +
          'event changes nothing. Answers the event as GET /events/{id} shows it.',
        tags: ['events'],
        params: IdParams,
        response: { 200: Event, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => cancelEvent(app.ctx, actorOf(req), req.params.id),
  )
}
