// The box office's routes: reserving, reading a reservation, the caller's tickets and invoices, giving a ticket
// back, transferring it, paying an invoice, and cancelling an event (the one events route the box office owns,
// because it moves money).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf, claimsOf } from '../../plugins/auth.js'
import { IdempotencyHeaders } from '../../plugins/idempotency.js'
import { Event } from '../events/events.schemas.js'
import {
  Invoice,
  InvoiceListQuery,
  payBody,
  Reservation,
  ReserveBody,
  Ticket,
  TicketListQuery,
  TransferBody,
} from './box-office.schemas.js'
import { cancelEvent } from './cancel-event.service.js'
import { payInvoice } from './pay.service.js'
import { paymentProviderFor } from './payment-provider.js'
import { cancelTicket } from './refund.service.js'
import { reserve } from './reserve.service.js'
import { transferTicket } from './transfer.service.js'
import { getInvoice, getReservation, getTicket, listMyInvoices, listMyTickets } from './view.service.js'

export const boxOfficeRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
          'IDEMPOTENCY_KEY_IN_USE (TICKET_LIMIT_EXCEEDED also when an event without its own limit would leave ' +
          'the caller more than MAX_HELD_TICKETS_PER_EVENT unpaid tickets); 403 NOT_FRIENDS, ' +
          'EMAIL_NOT_VERIFIED (only with REQUIRE_VERIFIED_EMAIL_TO_RESERVE: the caller has not verified their ' +
          'e-mail address); 422 IDEMPOTENCY_KEY_REUSED.',
        tags: ['reservations'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReserveBody,
        response: { 201: Reservation, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef, 422: ProblemRef },
      },
      // The token is checked in the database by the reservation's first statement (reserve), or by the
      // Idempotency-Key's check when a key is sent.
      onRequest: app.authenticateInStatement,
      preHandler: app.idempotent,
    },
    async (req, reply) => {
      const caller = req.actor ? { actor: req.actor } : { claims: claimsOf(req) }
      const reservation = await reserve(app.ctx, caller, req.params.id, req.body, req.idempotency)
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
          'line is, and its payer gets an e-mail saying what was refunded and who gave it back) until the event ' +
          'starts, then 409 EVENT_STARTED; a ticket used at the door is not refunded ' +
          '(409 ALREADY_CHECKED_IN, with `checked_in_at`). 409 TICKET_NOT_LIVE when it is already ' +
          'cancelled or expired; 403 for organizer and admin, and for the booker once the ticket was transferred ' +
          'or its holder paid their own invoice for it.',
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
          '409 TICKET_NOT_CONFIRMED unless the ticket is confirmed; 409 ALREADY_CHECKED_IN (with `checked_in_at`) ' +
          'once it was used at the door; 409 TICKET_LIMIT_EXCEEDED when the friend already has the most tickets ' +
          'allowed per person.',
        tags: ['tickets'],
        params: IdParams,
        body: TransferBody,
        response: { 200: Ticket, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => transferTicket(app.ctx, actorOf(req), req.params.id, req.body.user_id),
  )

  app.get(
    '/users/me/invoices',
    {
      schema: {
        summary: 'Invoices you pay',
        description:
          'Newest first. `status` filters by the status as shown (an overdue open invoice is expired).',
        tags: ['invoices'],
        querystring: InvoiceListQuery,
        response: { 200: Paginated(Invoice) },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listMyInvoices(app.ctx, actorOf(req), req.query, page))
    },
  )

  app.get(
    '/invoices/:id',
    {
      schema: {
        summary: 'One invoice',
        description: 'For its payer, the event organizer and admins; 404 for anyone else.',
        tags: ['invoices'],
        params: IdParams,
        response: { 200: Invoice, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => getInvoice(app.ctx, actorOf(req), req.params.id),
  )

  app.post(
    '/invoices/:id/pay',
    {
      schema: {
        summary: 'Pay an invoice',
        description:
          'Payer only (the organizer and admins get 403). Charges through the payment provider and confirms ' +
          'the invoice tickets at once. A payment_method the provider does not take is 400 VALIDATION_FAILED; ' +
          '402 PAYMENT_DECLINED leaves the invoice open; 409 INVOICE_NOT_OPEN ' +
          'when it is paid, expired (or past due), void or refunded; 409 EVENT_STARTED once the event has ' +
          'started (sales end then, held places included; nothing is charged).',
        tags: ['invoices'],
        params: IdParams,
        headers: IdempotencyHeaders,
        body: payBody(paymentProviderFor(app.ctx).methods),
        response: {
          200: Invoice,
          400: ProblemRef,
          402: ProblemRef,
          403: ProblemRef,
          404: ProblemRef,
          409: ProblemRef,
          422: ProblemRef,
        },
      },
      onRequest: app.authenticate,
      preHandler: app.idempotent,
    },
    async (req) => payInvoice(app.ctx, actorOf(req), req.params.id, req.body, req.idempotency),
  )

  app.post(
    '/events/:id/cancel',
    {
      schema: {
        summary: 'Cancel an event',
        description:
          'Organizer or admin. The event becomes `cancelled`; open invoices are voided, paid ones refunded in ' +
          'full, every held or confirmed ticket cancelled and its place given back. Cancelling a cancelled ' +
          'event changes nothing. A draft cancelled before it was ever published stays as private as a draft. ' +
          'Answers the event as GET /events/{id} shows it.',
        tags: ['events'],
        params: IdParams,
        response: { 200: Event, 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => cancelEvent(app.ctx, actorOf(req), req.params.id),
  )
}
