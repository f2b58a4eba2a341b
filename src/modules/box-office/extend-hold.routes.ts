// Extending a hold: the booker asks for more time before paying (WCAG 2.2.1, timing adjustable).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { IdempotencyHeaders } from '../../plugins/idempotency.js'
import { Reservation } from './box-office.schemas.js'
import { extendHold } from './extend-hold.service.js'

export const extendHoldRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/reservations/:id/extend',
    {
      schema: {
        summary: 'Extend a hold',
        operationId: 'extendHold',
        description:
          "Booker only. Moves the reservation's `expires_at` and its open invoices' `due_at` together by " +
          'RESERVATION_TTL seconds, never past 2 × RESERVATION_TTL from its creation (so an ordinary hold can be ' +
          'extended once). Answers the reservation as GET /reservations/{id} shows it. 409 HOLD_NOT_EXTENDABLE ' +
          'when the hold has lapsed, when nothing is held any more (paid, given back, cancelled) or when it was ' +
          'already extended to the cap (the detail says which); 409 IDEMPOTENCY_KEY_IN_USE; 422 ' +
          'IDEMPOTENCY_KEY_REUSED; 403 for the organizer and admins; 404 for anyone else.',
        tags: ['reservations'],
        params: IdParams,
        headers: IdempotencyHeaders,
        response: { 200: Reservation, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef, 422: ProblemRef },
      },
      onRequest: app.authenticate,
      preHandler: app.idempotent,
    },
    async (req) => extendHold(app.ctx, actorOf(req), req.params.id, req.idempotency),
  )
}
