// Tickets sold per day and per section as an SVG drawn on the server: stacked bars, one colour per section, a
// legend in HTML (swatches are SVG too: the CSP allows no inline style attribute), and the same numbers in a table for screen readers and anyone who prefers figures, with each day's revenue.
import type { DailySales } from '../../modules/events/sales-daily.service.js'
import { money } from '../format.js'

/** Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics), told apart by the legend too. */
const COLOURS = ['#1f5fae', '#b3261e', '#1b7f3b', '#7a4a00', '#6a3d9a', '#00707a', '#8a1c5c', '#4d4d4d']

const W = 640
const H = 260
const PAD = { left: 40, right: 12, top: 12, bottom: 48 }

export interface ChartSection {
  id: number
  name: string
}

/** Days from the first sale to the last, each present (a day without sales is a gap, not skipped). */
function daysBetween(first: string, last: string): string[] {
  const days: string[] = []
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10))
    if (days.length > 366) break
  }
  return days
}

/** A top for the axis that is even (so the middle gridline is a whole number) and round. */
const niceMax = (n: number) => {
  if (n <= 4) return 4
  if (n <= 10) return 2 * Math.ceil(n / 2)
  const step = 10 ** Math.floor(Math.log10(n)) / 2
  return Math.ceil(n / step) * step
}

export function SalesChart(p: {
  sections: ChartSection[]
  series: DailySales[]
  currency: string
  /** The event's time zone: the days are its days. */
  timezone: string
}): JSX.Element {
  if (p.series.length === 0) return <p>No tickets sold yet: the chart appears with the first sale.</p>
  const days = daysBetween(p.series[0]!.day, p.series[p.series.length - 1]!.day)
  const sold = new Map(p.series.map((s) => [`${s.day}:${s.section_id}`, s.sold]))
  const at = (day: string, sectionId: number) => sold.get(`${day}:${sectionId}`) ?? 0
  const totals = days.map((d) => p.sections.reduce((n, s) => n + at(d, s.id), 0))
  const revenue = new Map<string, number>()
  for (const s of p.series) revenue.set(s.day, (revenue.get(s.day) ?? 0) + s.revenue_cents)
  const max = niceMax(Math.max(...totals))
  const plotW = W - PAD.left - PAD.right
  const plotH = H - PAD.top - PAD.bottom
  const slot = plotW / days.length
  const barW = Math.max(2, Math.min(40, slot * 0.7))
  const y = (n: number) => PAD.top + plotH - (n / max) * plotH
  const labelEvery = Math.ceil(days.length / 8)
  const colour = (i: number) => COLOURS[i % COLOURS.length]!
  const ticks = [0, max / 2, max]
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-labelledby="chart-title"
        xmlns="http://www.w3.org/2000/svg"
      >
        <title id="chart-title" safe>
          {`Tickets sold per day and per section, ${days[0]} to ${days[days.length - 1]}`}
        </title>
        {ticks.map((t) => (
          <>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#d0d5dc" />
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end" font-size="11" fill="#333" safe>
              {String(Math.round(t))}
            </text>
          </>
        ))}
        {days.map((d, i) => {
          const x = PAD.left + i * slot + (slot - barW) / 2
          let base = 0
          return (
            <g>
              {p.sections.map((s, si) => {
                const n = at(d, s.id)
                if (n === 0) return ''
                const top = y(base + n)
                const height = y(base) - top
                base += n
                return (
                  <rect
                    x={x.toFixed(1)}
                    y={top.toFixed(1)}
                    width={barW.toFixed(1)}
                    height={height.toFixed(1)}
                    fill={colour(si)}
                  >
                    <title safe>{`${d}, ${s.name}: ${n}`}</title>
                  </rect>
                )
              })}
              {i % labelEvery === 0 ? (
                <text
                  x={(x + barW / 2).toFixed(1)}
                  y={H - PAD.bottom + 16}
                  text-anchor="middle"
                  font-size="11"
                  fill="#333"
                  safe
                >
                  {d.slice(5)}
                </text>
              ) : (
                ''
              )}
            </g>
          )
        })}
        <line x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} stroke="#333" />
        <text x={PAD.left} y={H - 8} font-size="11" fill="#333" safe>
          {`Day (${p.timezone}, month-day)`}
        </text>
      </svg>
      <figcaption>
        <ul class="chart-legend">
          {p.sections.map((s, i) => (
            <li>
              <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">
                <rect width="10" height="10" rx="2" fill={colour(i)} />
              </svg>{' '}
              <span safe>{s.name}</span>
            </li>
          ))}
        </ul>
      </figcaption>
      <details>
        <summary>The figures as a table</summary>
        <section class="table-wrap" tabindex="0" aria-label="Tickets sold per day">
          <table>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {p.sections.map((s) => (
                  <th scope="col" class="num" safe>
                    {s.name}
                  </th>
                ))}
                <th scope="col" class="num">
                  Total
                </th>
                <th scope="col" class="num">
                  Revenue
                </th>
              </tr>
            </thead>
            <tbody>
              {days.map((d, i) => (
                <tr>
                  <th scope="row" safe>
                    {d}
                  </th>
                  {p.sections.map((s) => (
                    <td class="num" safe>
                      {String(at(d, s.id))}
                    </td>
                  ))}
                  <td class="num" safe>
                    {String(totals[i])}
                  </td>
                  <td class="num" safe>
                    {money(revenue.get(d) ?? 0, p.currency)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </details>
    </figure>
  )
}
