// The caller's invoices, one invoice, and paying it.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { IdempotencyHeaders } from '../../plugins/idempotency.js'
import { Invoice, InvoiceListQuery, payBody } from './invoices.schemas.js'
import { getInvoice, listMyInvoices, payInvoice } from './invoices.service.js'
import { paymentProviderFor } from './payment-provider.js'

export const invoicesRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
          'when it is paid, expired (or past due), void or refunded.',
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
}
