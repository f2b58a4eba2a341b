// The waiting list: join, leave, one's own entries, and an event's list for its organizer.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { JoinWaitlistBody, WaitlistEntry, WaitlistListQuery } from './waitlist.schemas.js'
import { joinWaitlist, leaveWaitlist, listEventWaitlist, listMyWaitlist } from './waitlist.service.js'

export const waitlistRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/:id/waitlist',
    {
      schema: {
        summary: "Join a section's waiting list",
        operationId: 'joinWaitlist',
        description:
          'When places come back to the section (expiry, release, refund, more capacity), the first waiting ' +
          'entry that fits them (its quantity; adjacent seats when `together`) gets a reservation held for ' +
          'WAITLIST_OFFER_TTL seconds (status `offered`, invoices issued as for a reservation) and an e-mail ' +
          'with a link to pay. An entry that does not fit keeps its place. Places a lapsed hold gives back are ' +
          'offered within seconds of its due time, before any buyer who is not waiting may take them. ' +
          '409 SEATS_AVAILABLE when the request could be reserved now: places still free once the entries ' +
          'already waiting that fit them have been offered theirs (places owed to an earlier entry do not ' +
          'count); ALREADY_WAITING (one live entry per person and section), ' +
          'EVENT_NOT_ON_SALE, TICKET_LIMIT_EXCEEDED, NO_ADJACENT_SEATS (`together` for more seats than a row ' +
          'has: no place could ever serve it); 403 NOT_FRIENDS.',
        tags: ['waitlist'],
        params: IdParams,
        body: JoinWaitlistBody,
        response: { 201: WaitlistEntry, 400: ProblemRef, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await joinWaitlist(app.ctx, actorOf(req), req.params.id, req.body)),
  )

  app.get(
    '/users/me/waitlist',
    {
      schema: {
        summary: 'Your waiting-list entries',
        operationId: 'listMyWaitlist',
        description: 'Newest first.',
        tags: ['waitlist'],
        querystring: WaitlistListQuery,
        response: { 200: Paginated(WaitlistEntry) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listMyWaitlist(app.ctx, actorOf(req), page))
    },
  )

  app.delete(
    '/waitlist/:id',
    {
      schema: {
        summary: 'Leave the waiting list',
        operationId: 'leaveWaitlist',
        description:
          'Owner only (403 for the organizer and admins, 404 for anyone else). The entry becomes `left`; an ' +
          'open offer is released and its places go to the next entry. 409 WAITLIST_ENTRY_CLOSED when it ' +
          'was converted or expired.',
        tags: ['waitlist'],
        params: IdParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await leaveWaitlist(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/events/:id/waitlist',
    {
      schema: {
        summary: "An event's waiting list",
        operationId: 'listEventWaitlist',
        description: 'Organizer or admin; in the order it is served (oldest first), every status.',
        tags: ['waitlist'],
        params: IdParams,
        querystring: WaitlistListQuery,
        response: { 200: Paginated(WaitlistEntry), 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listEventWaitlist(app.ctx, actorOf(req), req.params.id, page))
    },
  )
}
