// Sections of an event (organizer or admin) and the public seat map.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Empty, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import {
  EventParams,
  SeatMap,
  SeatsQuery,
  Section,
  SectionBody,
  SectionParams,
  UpdateSectionBody,
} from './events.schemas.js'
import { seatMap } from './seats.service.js'
import { addSection, deleteSection, updateSection } from './sections.service.js'

export const sectionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/:id/sections',
    {
      schema: {
        summary: 'Add a section',
        tags: ['events'],
        params: EventParams,
        body: SectionBody,
        response: { 201: Section, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await addSection(app.ctx, actorOf(req), req.params.id, req.body)),
  )

  app.patch(
    '/events/:id/sections/:section_id',
    {
      schema: {
        summary: 'Change a section',
        description:
          'Capacity (or rows × seats_per_row) may not drop below sold + held: 409 CAPACITY_BELOW_SOLD. ' +
          'A seated section shrinks only where the removed seats have no ticket. The kind never changes.',
        tags: ['events'],
        params: SectionParams,
        body: UpdateSectionBody,
        response: { 200: Section, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updateSection(app.ctx, actorOf(req), req.params.id, req.params.section_id, req.body),
  )

  app.delete(
    '/events/:id/sections/:section_id',
    {
      schema: {
        summary: 'Delete a section that has no tickets',
        description: 'A section that ever had a ticket answers 409 SECTION_NOT_EMPTY.',
        tags: ['events'],
        params: SectionParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await deleteSection(app.ctx, actorOf(req), req.params.id, req.params.section_id)
      return reply.code(204).send()
    },
  )

  app.get(
    '/events/:id/seats',
    {
      schema: {
        summary: 'The seat map',
        description:
          'Every seat of the event, or of `section_id`, with its status: sold (confirmed ticket), held ' +
          '(an unexpired hold) or available. General sections have no seats.',
        tags: ['events'],
        params: EventParams,
        querystring: SeatsQuery,
        response: { 200: SeatMap, 404: ProblemRef },
      },
      onRequest: app.authenticateOptional,
    },
    async (req) => seatMap(app.ctx, req.actor, req.params.id, req.query.section_id),
  )
}
