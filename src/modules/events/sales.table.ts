// The text table `stagedoor tickets-sold` prints from the same sales report as GET /events/{id}/sales.
import { formatMoney } from '../../lib/money.js'
import type { SalesReport } from './sales.service.js'

export function formatSalesTable(report: SalesReport): string {
  const header = ['section', 'capacity', 'held', 'sold', 'available', 'revenue']
  const line = (name: string, l: SalesReport['totals']) => [
    name,
    String(l.capacity),
    String(l.held),
    String(l.sold),
    String(l.available),
    formatMoney(l.revenue_cents, report.currency, 'code'),
  ]
  const body = report.sections.map((s) => line(s.name, s))
  const total = line('total', report.totals)
  const rows = [header, ...body, total]
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  const render = (r: string[]) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  const rule = widths.map((w) => '-'.repeat(w)).join('  ')
  return [
    `Event ${report.event_id}: ${report.title} (${report.currency})`,
    render(header),
    rule,
    ...body.map(render),
    rule,
    render(total),
  ].join('\n')
}
