// The caller's tickets, one ticket, giving it back, and transferring it to a friend.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { Ticket, TicketListQuery, TransferBody } from './tickets.schemas.js'
import { cancelTicket, getTicket, listMyTickets, transferTicket } from './tickets.service.js'

export const ticketsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/users/me/tickets',
    {
      schema: {
        summary: 'Tickets you hold or booked',
        description: 'Newest first. `status` filters by the status as shown (a lapsed hold is expired).',
        tags: ['tickets'],
        querystring: TicketListQuery,
        response: { 200: Paginated(Ticket) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listMyTickets(app.ctx, actorOf(req), req.query, page))
    },
  )

  app.get(
    '/tickets/:id',
    {
      schema: {
        summary: 'One ticket',
        description: 'For its holder, its booker, the event organizer and admins; 404 for anyone else.',
        tags: ['tickets'],
        params: IdParams,
        response: { 200: Ticket, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getTicket(app.ctx, actorOf(req), req.params.id),
  )

  app.delete(
    '/tickets/:id',
    {
      schema: {
        summary: 'Give a ticket back',
        description:
          'Holder or booker. A held ticket is released (its line leaves the open invoice, which is voided when ' +
          'empty); a confirmed one is refunded (its invoice line refunded; the invoice is `refunded` once every ' +
          'line is). 409 TICKET_NOT_LIVE when it is already cancelled or expired; 403 for organizer and admin.',
        tags: ['tickets'],
        params: IdParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await cancelTicket(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/tickets/:id/transfer',
    {
      schema: {
        summary: 'Transfer a confirmed ticket to a friend',
        description:
          'Holder only (403 for the booker, organizer and admin). 403 NOT_FRIENDS unless `user_id` is your friend; ' +
          '409 TICKET_NOT_CONFIRMED unless the ticket is confirmed; 409 TICKET_LIMIT_EXCEEDED when the friend ' +
          'already has the most tickets allowed per person.',
        tags: ['tickets'],
        params: IdParams,
        body: TransferBody,
        response: { 200: Ticket, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => transferTicket(app.ctx, actorOf(req), req.params.id, req.body.user_id),
  )
}
