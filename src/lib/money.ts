// Amounts are stored in a currency's minor units (cents, pence; yen have none). The one formatter that turns
// them into text, for e-mails and the CLI alike, with each currency's own number of decimals as Intl knows it
// (ISO 4217: 2 for EUR, 0 for JPY, 3 for KWD): 1500 JPY is ¥1,500, 1500 EUR is €15.00.

/** A currency code as ISO 4217 writes it (`AUD`); Intl throws on anything else, so check before formatting. */
export const CURRENCY_CODE = /^[A-Z]{3}$/

// Node's own list of ISO 4217 codes.
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'))

/** Whether `code` is an ISO 4217 currency Node knows (`AUD`; not `XYZ`, not `aud`). */
export const isCurrency = (code: string) => CURRENCIES.has(code)

const formats = new Map<string, Intl.NumberFormat>()

function formatFor(currency: string, display: 'symbol' | 'code'): Intl.NumberFormat {
  const key = `${currency}:${display}`
  let format = formats.get(key)
  if (!format) {
    format = new Intl.NumberFormat('en', { style: 'currency', currency, currencyDisplay: display })
    formats.set(key, format)
  }
  return format
}

/** The number of decimals of `currency`'s minor unit (2 for EUR, 0 for JPY). */
export function minorUnitDigits(currency: string): number {
  return formatFor(currency, 'symbol').resolvedOptions().maximumFractionDigits ?? 2
}

/**
 * `minor` units of `currency` as text: "€15.00", "¥1,500" (display `symbol`, for people) or "EUR 15.00"
 * (display `code`, for tables). Exact for any amount below 2^53 minor units.
 */
export function formatMoney(minor: number, currency: string, display: 'symbol' | 'code' = 'symbol'): string {
  return formatFor(currency, display).format(minor / 10 ** minorUnitDigits(currency))
}

/** `minor` units of `currency` as a plain decimal number, as schema.org's `price` wants it: "15.00", "1500" (JPY). */
export function decimalAmount(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency)
  return (minor / 10 ** digits).toFixed(digits)
}
