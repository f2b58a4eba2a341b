// Vouchers of an event, for its organizer and admins.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { pageParams, sendPage } from '../../lib/pagination.js'
import { Empty, IdParams, Paginated, ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { Voucher, VoucherBody, VoucherListQuery, VoucherParams, VoucherPatch } from './vouchers.schemas.js'
import { createVoucher, deleteVoucher, listVouchers, updateVoucher } from './vouchers.service.js'

export const voucherRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/events/:id/vouchers',
    {
      schema: {
        summary: 'Create a voucher',
        operationId: 'createVoucher',
        description:
          'Organizer or admin. A code is unique per event whatever its case: 409 VOUCHER_CODE_TAKEN. ' +
          'A reservation that carries `voucher_code` gets `value` percent or minor units off each ticket of ' +
          'the sections in `section_ids` (every section when null), between `valid_from` and `valid_until`, ' +
          'while it is `active` and used fewer than `max_uses` times.',
        tags: ['vouchers'],
        params: IdParams,
        body: VoucherBody,
        response: { 201: Voucher, 400: ProblemRef, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) =>
      reply.code(201).send(await createVoucher(app.ctx, actorOf(req), req.params.id, req.body)),
  )

  app.get(
    '/events/:id/vouchers',
    {
      schema: {
        summary: "An event's vouchers",
        operationId: 'listVouchers',
        description: 'Organizer or admin; oldest first.',
        tags: ['vouchers'],
        params: IdParams,
        querystring: VoucherListQuery,
        response: { 200: Paginated(Voucher), 403: ProblemRef, 404: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      const page = pageParams(req.query)
      return sendPage(req, reply, await listVouchers(app.ctx, actorOf(req), req.params.id, page))
    },
  )

  app.patch(
    '/events/:id/vouchers/:voucher_id',
    {
      schema: {
        summary: 'Change a voucher',
        operationId: 'updateVoucher',
        description:
          'Organizer or admin. 409 VOUCHER_CODE_TAKEN for a code the event has; `max_uses` may not drop ' +
          'below `uses` (400).',
        tags: ['vouchers'],
        params: VoucherParams,
        body: VoucherPatch,
        response: { 200: Voucher, 400: ProblemRef, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => updateVoucher(app.ctx, actorOf(req), req.params.id, req.params.voucher_id, req.body),
  )

  app.delete(
    '/events/:id/vouchers/:voucher_id',
    {
      schema: {
        summary: 'Delete an unused voucher',
        operationId: 'deleteVoucher',
        description: 'Organizer or admin. A voucher that was used answers 409 VOUCHER_IN_USE: deactivate it.',
        tags: ['vouchers'],
        params: VoucherParams,
        response: { 204: Empty, 403: ProblemRef, 404: ProblemRef, 409: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req, reply) => {
      await deleteVoucher(app.ctx, actorOf(req), req.params.id, req.params.voucher_id)
      return reply.code(204).send()
    },
  )
}
