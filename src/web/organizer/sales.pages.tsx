// The organizer's sales page: per section capacity, held, sold, available and revenue; tickets sold per day as a
// server-drawn SVG; the attendees, and the same list as CSV. Organizer and admins only; anyone else gets 404.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import { pageParams } from '../../lib/pagination.js'
import { Id } from '../../lib/schemas.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEventSales, listAttendees, type SalesReport } from '../../modules/events/sales.service.js'
import { type DailySales, dailySales } from '../../modules/events/sales-daily.service.js'
import { money, when } from '../format.js'
import { Layout, Pager } from '../layout.js'
import { type PageCtx, pageCtx, requestedPage, requireUser, sendHtml } from '../page.js'
import { managedEvent } from './events.pages.js'
import { SalesChart } from './sales-chart.js'

type Attendee = Awaited<ReturnType<typeof listAttendees>>['data'][number]

const ATTENDEES_PER_PAGE = 50

function SalesPage(p: {
  ctx: PageCtx
  event: EventT
  report: SalesReport
  series: DailySales[]
  attendees: Attendee[]
  page: number
  totalPages: number
  total: number
}) {
  const { event: e, report: r } = p
  return (
    <Layout ctx={p.ctx} title={`Sales of ${e.title}`}>
      <h1 safe>{`Sales of ${e.title}`}</h1>
      <p>
        <span safe>{`${when(e.starts_at)} · ${e.venue}`}</span>
        <br />
        <a href={`/organizer/events/${e.id}`}>Edit the event</a> · <a href={`/events/${e.id}`}>Public page</a>
      </p>
      <h2>Per section</h2>
      <section class="table-wrap" tabindex="0" aria-label="Sales per section">
        <table>
          <thead>
            <tr>
              <th scope="col">Section</th>
              <th scope="col" class="num">
                Sold
              </th>
              <th scope="col" class="num">
                Held
              </th>
              <th scope="col" class="num">
                Available
              </th>
              <th scope="col" class="num">
                Capacity
              </th>
              <th scope="col" class="num">
                Revenue
              </th>
            </tr>
          </thead>
          <tbody>
            {r.sections.map((s) => (
              <tr>
                <th scope="row" safe>
                  {s.name}
                </th>
                <td class="num" safe>
                  {String(s.sold)}
                </td>
                <td class="num" safe>
                  {String(s.held)}
                </td>
                <td class="num" safe>
                  {String(s.available)}
                </td>
                <td class="num" safe>
                  {String(s.capacity)}
                </td>
                <td class="num" safe>
                  {money(s.revenue_cents, r.currency)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td class="num" safe>
                {String(r.totals.sold)}
              </td>
              <td class="num" safe>
                {String(r.totals.held)}
              </td>
              <td class="num" safe>
                {String(r.totals.available)}
              </td>
              <td class="num" safe>
                {String(r.totals.capacity)}
              </td>
              <td class="num" safe>
                {money(r.totals.revenue_cents, r.currency)}
              </td>
            </tr>
          </tfoot>
        </table>
      </section>
      <h2>Tickets sold per day</h2>
      <SalesChart sections={r.sections.map((s) => ({ id: s.id, name: s.name }))} series={p.series} />
      <h2 id="attendees">Attendees</h2>
      <p>
        <a href={`/organizer/events/${e.id}/attendees.csv`}>Download the attendee list (CSV)</a>
      </p>
      {p.attendees.length === 0 ? (
        <p>No confirmed attendees yet.</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label="Attendees">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Username</th>
                <th scope="col" class="num">
                  Tickets
                </th>
              </tr>
            </thead>
            <tbody>
              {p.attendees.map((a) => (
                <tr>
                  <td safe>{a.display_name}</td>
                  <td safe>{`@${a.username}`}</td>
                  <td class="num" safe>
                    {String(a.ticket_count)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <Pager
        page={p.page}
        totalPages={p.totalPages}
        href={(n) => `?page=${n}#attendees`}
        label="Attendee pages"
        summary={`Page ${p.page} of ${p.totalPages} (${p.total} people)`}
      />
    </Layout>
  )
}

/** A CSV field: quoted, quotes doubled, and a leading =+-@ defused so a spreadsheet never runs it as a formula. */
function csvField(value: string | number): string {
  let text = String(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return `"${text.replace(/"/g, '""')}"`
}

export async function salesPages(app: FastifyInstance) {
  const { ctx } = app
  const params = Type.Object({ id: Id })

  app.get('/organizer/events/:id/sales', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const event = await managedEvent(app, user, id)
    const page = requestedPage(req, ATTENDEES_PER_PAGE)
    const [report, series, attendees] = await Promise.all([
      getEventSales(ctx, user, id),
      dailySales(ctx, user, id),
      listAttendees(ctx, user, id, page),
    ])
    return sendHtml(
      req,
      reply,
      <SalesPage
        ctx={pageCtx(req, reply)}
        event={event}
        report={report}
        series={series}
        attendees={attendees.data}
        page={attendees.page}
        totalPages={attendees.total_pages}
        total={attendees.total}
      />,
    )
  })

  app.get('/organizer/events/:id/attendees.csv', { schema: { hide: true, params } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    await managedEvent(app, user, id)
    const lines = [['username', 'display_name', 'tickets'].map(csvField).join(',')]
    for (let n = 1; ; n++) {
      const page = await listAttendees(ctx, user, id, pageParams({ page: n, per_page: 100 }))
      for (const a of page.data)
        lines.push([a.username, a.display_name, a.ticket_count].map(csvField).join(','))
      if (n >= page.total_pages) break
    }
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="event-${id}-attendees.csv"`)
      .header('cache-control', 'private, no-store')
      .send(`${lines.join('\r\n')}\r\n`)
  })
}
