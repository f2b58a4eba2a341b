// Events: the public catalogue, one event, and the organizer's create, edit, publish and delete.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { asJsonText } from '../../lib/json-text.js'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { CreateEventBody, Event, EventListQuery, EventParams, UpdateEventBody } from './events.schemas.js'
import {
  createEvent,
  deleteEvent,
  getEventJson,
  listEventsJson,
  publishEvent,
  updateEvent,
} from './events.service.js'

export const eventsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/events',
    {
      schema: {
        summary: 'List and search events',
        description:
          'Published events by default. `status=cancelled` lists cancelled ones (public too); `status=draft` ' +
          'lists your own drafts (every draft for an admin, none when anonymous). `q` matches part of the ' +
          'title and `venue` part of the venue, case-insensitively; `from`/`to` bound `starts_at` (inclusive).',
        tags: ['events'],
        querystring: EventListQuery,
        response: { 200: Paginated(Event) },
      },
      onRequest: app.authenticateOptional,
    },
    async (req, reply) =>
      app.eventsCache.answer(req, reply, async () => {
        const { body, page } = await listEventsJson(
          app.readCtx(req),
          req.actor,
          req.query,
          pageParams(req.query),
        )
        sendPage(req, reply, page)
        return asJsonText(reply, body)
      }),
  )

  app.post(
    '/events',
    {
      schema: {
        summary: 'Create a draft event with its sections',
        description:
          'The caller becomes the organizer. A section is `general` (a `capacity`) or `seated` (`rows` × ' +
          '`seats_per_row`, seats A1.. generated); `kind` defaults to seated when only rows are given. An event ' +
          'has at most MAX_SECTIONS_PER_EVENT sections (50 by default) and MAX_SEATS_PER_EVENT seats over its ' +
          'seated sections (20,000 by default): a body past either is 400 VALIDATION_FAILED at `body.sections`. ' +
          '`Location` names the new event.',
        tags: ['events'],
        body: CreateEventBody,
        response: { 201: Event },
      },
      config: { rateLimit: app.creationRateLimit },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const event = await createEvent(app.ctx, actorOf(req), req.body)
      return reply.code(201).header('location', `${app.prefix}/events/${event.id}`).send(event)
    },
  )

  app.get(
    '/events/:id',
    {
      schema: {
        summary: 'One event with its sections and availability',
        description: 'Drafts are visible only to their organizer and admins (404 to anyone else).',
        tags: ['events'],
        params: EventParams,
        response: { 200: Event, 404: ProblemRef },
      },
      onRequest: app.authenticateOptional,
    },
    async (req, reply) =>
      app.eventsCache.answer(req, reply, async () =>
        asJsonText(reply, await getEventJson(app.readCtx(req), req.actor, req.params.id)),
      ),
  )

  app.patch(
    '/events/:id',
    {
      schema: {
        summary: 'Edit an event',
        description:
          'Organizer or admin. The currency cannot change once tickets exist (409 EVENT_HAS_SALES). While ' +
          'tickets are held or sold, a start still to come can be brought forward only to a time at least 24 ' +
          'hours away (409 EVENT_HAS_SALES, on `body.starts_at`): tickets are refunded until the start, and ' +
          'cancelling is how an event ends early. A later start is always allowed. When the start or the venue ' +
          'of a published event still to come changes, each holder and payer of a live ticket and everyone on ' +
          'its waiting list gets an e-mail with what it was and what it is. The status ' +
          'is not a field here: it changes through publish and cancel (a `status` in the body is ignored).',
        tags: ['events'],
        params: EventParams,
        body: UpdateEventBody,
        response: { 200: Event, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updateEvent(app.ctx, actorOf(req), req.params.id, req.body),
  )

  app.delete(
    '/events/:id',
    {
      schema: {
        summary: 'Delete an event that never sold anything',
        description: 'Once any reservation was made, 409 EVENT_HAS_SALES: cancel the event instead.',
        tags: ['events'],
        params: EventParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await deleteEvent(app.ctx, actorOf(req), req.params.id)
      return reply.code(204).send()
    },
  )

  app.post(
    '/events/:id/publish',
    {
      schema: {
        summary: 'Publish a draft event',
        description:
          'Needs at least one section (409 EVENT_HAS_NO_SECTIONS). Publishing a published event is a no-op; ' +
          'a cancelled one answers 409 CONFLICT.',
        tags: ['events'],
        params: EventParams,
        response: { 200: Event, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => publishEvent(app.ctx, actorOf(req), req.params.id),
  )
}
