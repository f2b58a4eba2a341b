// Paying an invoice: a plain choice of method, then one clear button naming the amount.
import type { InvoiceT } from '../../modules/box-office/box-office.schemas.js'
import { attr, money } from '../format.js'
import { CsrfField } from '../layout.js'

const METHODS = [
  { value: 'test_ok', label: 'Test card that is accepted' },
  { value: 'test_declined', label: 'Test card that is declined' },
]

/** A method the form offers, or undefined: `?method=` after a declined payment keeps the buyer's choice. */
export const offeredMethod = (v: unknown): string | undefined => METHODS.find((m) => m.value === v)?.value

export function PayForm(p: {
  invoice: InvoiceT
  csrf: string | null
  next?: string
  error?: string
  /** The method to tick (the one just declined); the first otherwise. */
  method?: string
}): JSX.Element {
  const id = `pay-${p.invoice.id}`
  const chosen = offeredMethod(p.method) ?? METHODS[0]!.value
  return (
    <form method="post" action={`/invoices/${p.invoice.id}/pay`} class="pay-form" id={id}>
      <CsrfField token={p.csrf} />
      {p.next ? <input type="hidden" name="next" value={attr(p.next)} /> : ''}
      <fieldset aria-describedby={p.error ? `${id}-error` : undefined}>
        <legend>Payment method</legend>
        {METHODS.map((m) => (
          <label>
            <input type="radio" name="payment_method" value={m.value} checked={m.value === chosen} required />
            <span safe>{m.label}</span>
          </label>
        ))}
        {p.error ? (
          <p id={`${id}-error`} class="field-error" role="alert" safe>
            {p.error}
          </p>
        ) : (
          ''
        )}
      </fieldset>
      <button type="submit" safe>{`Pay ${money(p.invoice.amount_cents, p.invoice.currency)}`}</button>
    </form>
  )
}
