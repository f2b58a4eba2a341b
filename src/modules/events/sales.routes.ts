// The organizer's sales and attendee views, and the friends of the caller who are going.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Id, MoneySum, PageQuery, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { UserPublic } from '../users/users.schemas.js'
import { EventParams } from './events.schemas.js'
import { friendsGoing, getEventSales, listAttendees } from './sales.service.js'

const SalesLine = {
  capacity: Type.Integer(),
  held: Type.Integer(),
  sold: Type.Integer(),
  available: Type.Integer(),
  revenue_cents: MoneySum(
    'What buyers paid for the tickets confirmed now: the sum of their invoice lines, after voucher discounts',
  ),
}

const Sales = Type.Object({
  event_id: Id,
  title: Type.String(),
  currency: Type.String(),
  sections: Type.Array(
    Type.Object({
      id: Id,
      name: Type.String(),
      kind: Type.Union([Type.Literal('general'), Type.Literal('seated')]),
      price_cents: Type.Integer(),
      ...SalesLine,
    }),
  ),
  totals: Type.Object(SalesLine),
})

const AttendeesQuery = Type.Object({
  ...PageQuery,
  section_id: Type.Optional(Id),
  status: Type.Optional(
    Type.Union([Type.Literal('confirmed'), Type.Literal('held')], { default: 'confirmed' }),
  ),
})

const Attendee = Type.Object({
  ...UserPublic.properties,
  ticket_count: Type.Integer({
    description: 'Tickets this person holds for the event: confirmed ones, or those its list asks for',
  }),
})

export const salesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/events/:id/sales',
    {
      schema: {
        summary: 'Sales per section',
        description:
          'Organizer or admin. Revenue is what buyers paid for the tickets confirmed now: each ticket’s invoice ' +
          'line after any voucher discount, on whichever invoice paid it. A refunded or cancelled ticket drops ' +
          'out; a held one does not count yet.',
        tags: ['events'],
        params: EventParams,
        response: { 200: Sales, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getEventSales(app.ctx, actorOf(req), req.params.id),
  )

  app.get(
    '/events/:id/attendees',
    {
      schema: {
        summary: 'People holding tickets: confirmed by default, or held',
        description:
          'Organizer or admin; one row per person, by username. `section_id` keeps one section of the event ' +
          '(a section of another event matches nobody); `status=held` lists the holds still running instead, ' +
          'as the sales report counts them.',
        tags: ['events'],
        params: EventParams,
        querystring: AttendeesQuery,
        response: { 200: Paginated(Attendee), 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const { section_id, status } = req.query
      const page = pageParams(req.query)
      const filter = { ...(section_id ? { section_id } : {}), ...(status ? { status } : {}) }
      return sendPage(req, reply, await listAttendees(app.ctx, actorOf(req), req.params.id, page, filter))
    },
  )

  app.get(
    '/events/:id/friends-going',
    {
      schema: {
        summary: 'Your friends holding a confirmed ticket',
        tags: ['events'],
        params: EventParams,
        querystring: Type.Object(PageQuery),
        response: { 200: Paginated(Attendee), 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await friendsGoing(app.ctx, actorOf(req), req.params.id, page))
    },
  )
}
