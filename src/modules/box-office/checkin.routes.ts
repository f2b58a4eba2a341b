// Check-in at the door and the event's door staff: scanning a code, the count and list of check-ins, the public
// key scanners verify codes with, the ticket's QR image, and the organizer's staff list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import {
  CheckIn,
  CheckInBody,
  CheckInKey,
  CheckInList,
  CheckInListQuery,
  StaffBody,
  StaffMember,
  StaffParams,
} from './checkin.schemas.js'
import { checkIn, checkInKey, listCheckIns } from './checkin.service.js'
import { addStaff, listStaff, removeStaff } from './staff.service.js'
import { ticketQrSvg } from './ticket-qr.js'

export const checkInRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/:id/check-ins',
    {
      schema: {
        summary: 'Check a ticket in',
        operationId: 'checkIn',
        description:
          'Organizer, admin or event staff. `code` is the ticket code its QR image carries. Each ticket checks ' +
          'in once: 409 ALREADY_CHECKED_IN (with the first `checked_in_at`). 409 TICKET_NOT_CONFIRMED when ' +
          'the ticket is not confirmed; 404 TICKET_NOT_FOUND for an unknown, forged or stale code (shown ' +
          'before a transfer or refund) or one of another event.',
        tags: ['check-in'],
        params: IdParams,
        body: CheckInBody,
        response: { 201: CheckIn, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await checkIn(app.ctx, actorOf(req), req.params.id, req.body.code)),
  )

  app.get(
    '/events/:id/check-ins',
    {
      schema: {
        summary: "An event's check-ins",
        operationId: 'listCheckIns',
        description:
          'Organizer, admin or event staff: how many confirmed tickets are checked in, and a page of ' +
          'check-ins, latest first.',
        tags: ['check-in'],
        params: IdParams,
        querystring: CheckInListQuery,
        response: { 200: CheckInList, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listCheckIns(app.ctx, actorOf(req), req.params.id, page))
    },
  )

  app.get(
    '/events/:id/check-in-key',
    {
      schema: {
        summary: "The event's public key for ticket codes",
        operationId: 'getCheckInKey',
        description:
          'Organizer, admin or event staff: the Ed25519 public key a scanner verifies ticket codes with, offline.',
        tags: ['check-in'],
        params: IdParams,
        response: { 200: CheckInKey, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => checkInKey(app.ctx, actorOf(req), req.params.id),
  )

  app.get(
    '/tickets/:id/qr.svg',
    {
      schema: {
        summary: "A ticket's code as a QR image",
        operationId: 'getTicketQr',
        description:
          'Holder only (404 for anyone else): an SVG image of the entry code of a confirmed ticket. The ' +
          "holder's ticket that is not confirmed (held and not paid yet, given back, lapsed) has no code: 409 " +
          'TICKET_NOT_CONFIRMED.',
        tags: ['tickets'],
        params: IdParams,
        produces: ['image/svg+xml'],
        response: {
          200: Type.String({ description: 'image/svg+xml' }),
          404: ProblemRef,
          409: ProblemRef,
        },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const svg = await ticketQrSvg(app.ctx, actorOf(req), req.params.id)
      return reply.type('image/svg+xml').header('cache-control', 'private, no-store').send(svg)
    },
  )

  app.post(
    '/events/:id/staff',
    {
      schema: {
        summary: 'Add a staff member to an event',
        operationId: 'addStaff',
        description:
          'Organizer or admin. Staff may check tickets in and read the check-in key and list, nothing more. ' +
          '404 for an unknown user; 409 ALREADY_STAFF (for the organizer too: they check tickets in already).',
        tags: ['check-in'],
        params: IdParams,
        body: StaffBody,
        response: { 201: StaffMember, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await addStaff(app.ctx, actorOf(req), req.params.id, req.body.user_id)),
  )

  app.get(
    '/events/:id/staff',
    {
      schema: {
        summary: "An event's staff",
        operationId: 'listStaff',
        description: 'Organizer or admin; in the order they were added.',
        tags: ['check-in'],
        params: IdParams,
        querystring: CheckInListQuery,
        response: { 200: Paginated(StaffMember), 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listStaff(app.ctx, actorOf(req), req.params.id, page))
    },
  )

  app.delete(
    '/events/:id/staff/:user_id',
    {
      schema: {
        summary: 'Remove a staff member from an event',
        operationId: 'removeStaff',
        description: 'Organizer or admin; 404 when the user is not staff of the event.',
        tags: ['check-in'],
        params: StaffParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await removeStaff(app.ctx, actorOf(req), req.params.id, req.params.user_id)
      return reply.code(204).send()
    },
  )
}
