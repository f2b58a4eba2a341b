// One money formatter for e-mails and the CLI: each currency's own minor-unit decimals, from Intl.
import { describe, expect, it } from 'vitest'
import { decimalAmount, formatMoney, minorUnitDigits } from '../../src/lib/money.js'
import { money } from '../../src/mail/format.js'
import { formatSalesTable } from '../../src/modules/events/sales.table.js'

describe('formatMoney', () => {
  it('when the currency has no minor unit (JPY), then e-mail and CLI both read 1500 as 1,500 yen', () => {
    expect(money(1500, 'JPY')).toBe('¥1,500')
    expect(formatMoney(1500, 'JPY', 'code')).toMatch(/^JPY\s1,500$/)
    const table = formatSalesTable({
      event_id: 1,
      title: 'Noh',
      currency: 'JPY',
      sections: [],
      totals: { capacity: 1, held: 0, sold: 1, available: 0, revenue_cents: 1500 },
    })
    expect(table).toMatch(/JPY\s1,500$/)
  })

  it('when the currency has two or three decimals, then the minor units are divided accordingly', () => {
    expect(minorUnitDigits('EUR')).toBe(2)
    expect(minorUnitDigits('KWD')).toBe(3)
    expect(money(1500, 'EUR')).toBe('€15.00')
    expect(money(1500, 'KWD')).toMatch(/^KWD\s1\.500$/)
    expect(formatMoney(12_950, 'AUD', 'code')).toMatch(/^AUD\s129\.50$/)
  })

  it('when a page states a price as a plain number (schema.org offers), then the currency decides the decimals', () => {
    expect(decimalAmount(4900, 'AUD')).toBe('49.00')
    expect(decimalAmount(1500, 'JPY')).toBe('1500')
    expect(decimalAmount(1500, 'KWD')).toBe('1.500')
  })
})
