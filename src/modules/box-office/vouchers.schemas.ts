// Vouchers as the API shows and takes them.
import { type Static, Type } from 'typebox'
import { Id, PageQuery, Timestamp } from '../../lib/schemas.js'

export const VoucherKind = Type.Union([Type.Literal('percent'), Type.Literal('amount')], {
  description:
    '`percent`: value percent off each eligible ticket; `amount`: value minor units off each, never below 0',
})

export const Voucher = Type.Object(
  {
    id: Id,
    code: Type.String(),
    kind: VoucherKind,
    value: Type.Integer(),
    section_ids: Type.Union([Type.Array(Id), Type.Null()], { description: 'null: every section' }),
    max_uses: Type.Union([Type.Integer(), Type.Null()], { description: 'null: no limit' }),
    uses: Type.Integer({ description: 'Reservations that used it' }),
    valid_from: Type.Union([Timestamp, Type.Null()]),
    valid_until: Type.Union([Timestamp, Type.Null()]),
    active: Type.Boolean(),
    created_at: Timestamp,
  },
  { $id: 'Voucher' },
)
export type VoucherT = Static<typeof Voucher>

const fields = {
  code: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Letters, digits, - and _; unique per event whatever the case',
  }),
  kind: VoucherKind,
  value: Type.Integer({ minimum: 1, maximum: 100_000_000, description: 'Percent (1–100) or minor units' }),
  section_ids: Type.Union([Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }), Type.Null()]),
  max_uses: Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()]),
  valid_from: Type.Union([Timestamp, Type.Null()]),
  valid_until: Type.Union([Timestamp, Type.Null()]),
  active: Type.Boolean(),
}

export const VoucherBody = Type.Object({
  code: fields.code,
  kind: fields.kind,
  value: fields.value,
  section_ids: Type.Optional(fields.section_ids),
  max_uses: Type.Optional(fields.max_uses),
  valid_from: Type.Optional(fields.valid_from),
  valid_until: Type.Optional(fields.valid_until),
  active: Type.Optional(fields.active),
})
export type VoucherInput = Static<typeof VoucherBody>

export const VoucherPatch = Type.Partial(Type.Object(fields), { minProperties: 1 })
export type VoucherPatchT = Static<typeof VoucherPatch>

export const VoucherParams = Type.Object({ id: Id, voucher_id: Id })

export const VoucherListQuery = Type.Object({ ...PageQuery })
