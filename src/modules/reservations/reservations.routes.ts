// Reserving tickets in a section of an event, and reading a reservation back.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParams, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { IdempotencyHeaders } from '../../plugins/idempotency.js'
import { Reservation, ReserveBody } from './reservations.schemas.js'
import { getReservation, reserve } from './reservations.service.js'

export const reservationsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/:id/reservations',
    {
      schema: {
        summary: 'Reserve tickets in a section',
        description:
          'Holds tickets for RESERVATION_TTL seconds and issues the invoices that confirm them when paid. ' +
          '`quantity` lets the server choose (in a seated section: one adjacent block if any row has one, else ' +
          'the best single seats; with `together: true` only an adjacent block, front rows first, then the ' +
          'most central); `seat_ids` picks exact seats. `attendee_ids` (friends) hold the other tickets, so ' +
          'quantity = 1 + attendees; `split_payment: true` gives each holder their own invoice. ' +
          '409 codes: SOLD_OUT, SEAT_TAKEN, NO_ADJACENT_SEATS, TICKET_LIMIT_EXCEEDED, EVENT_NOT_ON_SALE, ' +
          'IDEMPOTENCY_KEY_IN_USE; 403 NOT_FRIENDS; 422 IDEMPOTENCY_KEY_REUSED.',
        tags: ['reservations'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReserveBody,
        response: { 201: Reservation, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef, 422: ProblemRef },
      },
      onRequest: app.authenticate,
      preHandler: app.idempotent,
    },
    async (req, reply) => {
      const reservation = await reserve(app.ctx, actorOf(req), req.params.id, req.body, req.idempotency)
      return reply.code(201).send(reservation)
    },
  )

  app.get(
    '/reservations/:id',
    {
      schema: {
        summary: 'A reservation with its tickets and invoices',
        description: 'For its booker, the event organizer and admins; 404 for anyone else.',
        tags: ['reservations'],
        params: IdParams,
        response: { 200: Reservation, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getReservation(app.ctx, actorOf(req), req.params.id),
  )
}
