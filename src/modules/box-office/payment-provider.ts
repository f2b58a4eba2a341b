// The payment-provider interface invoices are paid and refunded through, and the built-in test provider.
import { randomUUID } from 'node:crypto'
import type { Ctx } from '../../context.js'

export type ChargeResult = { ok: true; reference: string } | { ok: false; reason: string }

export interface PaymentProvider {
  readonly name: string
  /** The `payment_method` values it takes; POST /invoices/{id}/pay refuses any other with 400. */
  readonly methods: readonly string[]
  /**
   * Charges `amountCents`. `idempotencyKey` is unique per invoice, so a provider that honours it never
   * charges one invoice twice even when a charge is retried after a lost answer.
   */
  charge(input: {
    amountCents: number
    currency: string
    paymentMethod: string
    idempotencyKey: string
  }): Promise<ChargeResult>
  /** Refunds part or all of an earlier charge. */
  refund(input: {
    chargeReference: string
    amountCents: number
    currency: string
    idempotencyKey: string
  }): Promise<{ reference: string }>
}

/**
 * Accepts `test_ok` and declines `test_declined` (and, should a caller skip the validation, anything else);
 * refunds always succeed. Never leaves the process.
 */
export const testPaymentProvider: PaymentProvider = {
  name: 'test',
  methods: ['test_ok', 'test_declined'],
  async charge({ paymentMethod }) {
    if (paymentMethod === 'test_ok') return { ok: true, reference: `test_ch_${randomUUID()}` }
    if (paymentMethod === 'test_declined') return { ok: false, reason: 'The card was declined' }
    return { ok: false, reason: `The test provider does not know the payment method "${paymentMethod}"` }
  },
  async refund() {
    return { reference: `test_re_${randomUUID()}` }
  },
}

/** The provider for this app. Only the test provider exists so far; a real one is chosen here from config. */
export function paymentProviderFor(_ctx: Ctx): PaymentProvider {
  return testPaymentProvider
}
