// The organizer's sales page: per section capacity, held, sold, available and revenue; tickets sold per day as a
// server-drawn SVG; the attendees (each sold or held count links to the people behind it), and the same list as CSV.
// Organizer and admins only; anyone else gets 404.
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

/** Whose tickets the attendee list shows, from the page's own links: a section of this event, and held or sold. */
interface ListFilter {
  section?: { id: number; name: string }
  held: boolean
}

/** The list's filter from the query; a hand-edited link that names no section of this event shows every section. */
function listFilterOf(query: unknown, event: EventT): ListFilter {
  const q = (query ?? {}) as Record<string, unknown>
  const section = event.sections.find((s) => String(s.id) === q.section_id)
  return {
    ...(section ? { section: { id: section.id, name: section.name } } : {}),
    held: q.status === 'held',
  }
}

/** The sales page's address of a list, on its page `n`. */
function listHref(f: ListFilter, n = 1): string {
  const query = new URLSearchParams()
  if (f.section) query.set('section_id', String(f.section.id))
  if (f.held) query.set('status', 'held')
  if (n > 1) query.set('page', String(n))
  const text = query.toString()
  return `${text ? `?${text}` : '?'}#attendees`
}

/** A count that links to the people behind it; a 0 has nobody behind it, so no link. */
function CountLink(p: { n: number; filter: ListFilter }) {
  if (p.n === 0) return <>0</>
  const what = `${p.n} ${p.filter.held ? 'held' : 'sold'} in ${p.filter.section?.name ?? 'all sections'}`
  return (
    <a href={listHref(p.filter)} aria-label={`${what}: who holds them`} safe>
      {String(p.n)}
    </a>
  )
}

function listHeading(f: ListFilter): string {
  const where = f.section ? ` in ${f.section.name}` : ''
  return f.held ? `Holding tickets${where}, not paid yet` : `Attendees${where}`
}

function SalesPage(p: {
  ctx: PageCtx
  event: EventT
  report: SalesReport
  series: DailySales[]
  attendees: Attendee[]
  filter: ListFilter
  page: number
  totalPages: number
  total: number
}) {
  const { event: e, report: r } = p
  const nobody = p.filter.held
    ? `Nobody holds unpaid tickets${p.filter.section ? ` in ${p.filter.section.name}` : ''} now.`
    : 'No confirmed attendees yet.'
  return (
    <Layout ctx={p.ctx} title={`Sales of ${e.title}`}>
      <h1 safe>{`Sales of ${e.title}`}</h1>
      <p>
        <span safe>{`${when(e.starts_at, e.timezone)} · ${e.venue}`}</span>
        <br />
        <a href={`/organizer/events/${e.id}`}>Edit the event</a> · <a href={`/events/${e.id}`}>Public page</a>
      </p>
      <h2>Per section</h2>
      <section class="table-wrap" tabindex="0" aria-label="Sales per section">
        <table class="stack">
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
                <td class="num" data-label="Sold">
                  <CountLink n={s.sold} filter={{ section: s, held: false }} />
                </td>
                <td class="num" data-label="Held">
                  <CountLink n={s.held} filter={{ section: s, held: true }} />
                </td>
                <td class="num" data-label="Available" safe>
                  {String(s.available)}
                </td>
                <td class="num" data-label="Capacity" safe>
                  {String(s.capacity)}
                </td>
                <td class="num" data-label="Revenue" safe>
                  {money(s.revenue_cents, r.currency)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td class="num" data-label="Sold">
                <CountLink n={r.totals.sold} filter={{ held: false }} />
              </td>
              <td class="num" data-label="Held">
                <CountLink n={r.totals.held} filter={{ held: true }} />
              </td>
              <td class="num" data-label="Available" safe>
                {String(r.totals.available)}
              </td>
              <td class="num" data-label="Capacity" safe>
                {String(r.totals.capacity)}
              </td>
              <td class="num" data-label="Revenue" safe>
                {money(r.totals.revenue_cents, r.currency)}
              </td>
            </tr>
          </tfoot>
        </table>
      </section>
      <h2>Tickets sold per day</h2>
      <SalesChart
        sections={r.sections.map((s) => ({ id: s.id, name: s.name }))}
        series={p.series}
        currency={r.currency}
        timezone={p.event.timezone}
      />
      <h2 id="attendees" safe>
        {listHeading(p.filter)}
      </h2>
      <p>
        {p.filter.section || p.filter.held ? (
          <>
            <a href={listHref({ held: false })}>Every attendee</a> ·{' '}
          </>
        ) : (
          ''
        )}
        <a href={`/organizer/events/${e.id}/attendees.csv`}>Download the attendee list (CSV)</a>
      </p>
      {p.attendees.length === 0 ? (
        <p safe>{nobody}</p>
      ) : (
        <section class="table-wrap" tabindex="0" aria-label={listHeading(p.filter)}>
          <table class="stack">
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
                  <th scope="row" safe>
                    {a.display_name}
                  </th>
                  <td data-label="Username" safe>{`@${a.username}`}</td>
                  <td class="num" data-label="Tickets" safe>
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
        href={(n) => listHref(p.filter, n)}
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
    const filter = listFilterOf(req.query, event)
    const [report, series, attendees] = await Promise.all([
      getEventSales(ctx, user, id),
      dailySales(ctx, user, id),
      listAttendees(ctx, user, id, page, {
        ...(filter.section ? { section_id: filter.section.id } : {}),
        status: filter.held ? 'held' : 'confirmed',
      }),
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
        filter={filter}
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
