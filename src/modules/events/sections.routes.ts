// Sections of an event (organizer or admin) and the public seat map.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage, toPage } from '../../lib/pagination.js'
import { Empty, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import {
  EventParams,
  SEAT_PAGE_MAX,
  SeatMap,
  SeatsQuery,
  Section,
  SectionBody,
  SectionParams,
  UpdateSectionBody,
} from './events.schemas.js'
import { seatPage } from './seats.service.js'
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
      config: { rateLimit: app.creationRateLimit },
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
          'A seated section shrinks only where the removed seats have no ticket. The kind never changes ' +
          '(a `kind` in the body is ignored).',
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
          'The seats of the event, or of `section_id`, with their status: sold (confirmed ticket), held ' +
          '(an unexpired hold) or available. General sections have no seats. Paged so that no answer is ' +
          `unbounded: at most \`per_page\` seats (default and most ${SEAT_PAGE_MAX}) of page \`page\` (default 1), ` +
          'in a stable order (section, row, number); the body stays a plain array, and an RFC 8288 `Link` ' +
          'header (first, prev, next, last) and `X-Total-Count` tell what remains. A section or event of ' +
          `at most ${SEAT_PAGE_MAX} seats comes whole on the first page.`,
        tags: ['events'],
        params: EventParams,
        querystring: SeatsQuery,
        response: { 200: SeatMap, 404: ProblemRef },
      },
      onRequest: app.authenticateOptional,
    },
    async (req, reply) => {
      const page = pageParams({ page: req.query.page, per_page: req.query.per_page ?? SEAT_PAGE_MAX })
      const { rows, total } = await seatPage(app.ctx, req.actor, req.params.id, req.query.section_id, page)
      reply.header('x-total-count', String(total))
      return sendPage(req, reply, toPage(rows, total, page)).data
    },
  )
}
