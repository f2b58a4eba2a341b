// The public catalogue as pages: the home page (upcoming events with filters), one event (built for sharing and
// search: meta description, Open Graph, schema.org Event JSON-LD, ETag), search, the sitemap and robots.txt.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { decimalAmount } from '../../lib/money.js'
import { pageParams } from '../../lib/pagination.js'
import { Id, Line } from '../../lib/schemas.js'
import { isoOnClock } from '../../lib/time-zones.js'
import { myLiveEntries } from '../../modules/box-office/waitlist.service.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { getEvent, listEvents } from '../../modules/events/events.service.js'
import { friendsGoing, friendsGoingToEach } from '../../modules/events/sales.service.js'
import { seatMap } from '../../modules/events/seats.service.js'
import { listFriends } from '../../modules/friends/friends.service.js'
import { search } from '../../modules/search/search.service.js'
import { valuesOfHold } from '../box-office/hold-again.js'
import { attr, eventAvailability, excerpt, fewLeft, price, sectionAvailability, when } from '../format.js'
import { Field, Layout, Pager } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  requestedPage,
  sendHtml,
  wholeNumberOf,
} from '../page.js'
import { EventCard } from './event-card.js'
import {
  carriedChoice,
  fitChoice,
  ReserveForm,
  type ReserveFormState,
  type ReserveValues,
  type SeatView,
} from './reserve-form.js'
import { joinableSections, WaitlistBlock, type WaitlistFormState } from './waitlist-block.js'

const PER_PAGE = 12

const HomeQuery = Type.Object({
  q: Type.Optional(Line({ maxLength: 100 })),
  venue: Type.Optional(Line({ maxLength: 200 })),
  from: Type.Optional(Type.String({ format: 'date' })),
  to: Type.Optional(Type.String({ format: 'date' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
})
type HomeFilters = { q?: string; venue?: string; from?: string; to?: string; page?: number }
type FilterName = 'q' | 'venue' | 'from' | 'to'
const FILTERS: readonly FilterName[] = ['q', 'venue', 'from', 'to']

/**
 * The home page's filters from its query. A filter that fails its check is left out of the search and shown
 * with its error beside it; the others still apply. A hand-edited `page` that is not a page number is page 1.
 */
function readFilters(query: unknown): {
  filters: HomeFilters
  shown: Partial<Record<FilterName, string>>
  errors: FormErrors['fields']
} {
  const raw = (query ?? {}) as Record<string, unknown>
  const shown: Partial<Record<FilterName, string>> = {}
  for (const name of FILTERS) if (typeof raw[name] === 'string') shown[name] = raw[name]
  const parsed = parseForm<HomeFilters>(HomeQuery, raw)
  if (parsed.ok) return orderedDates({ filters: parsed.value, shown, errors: {} })
  const errors: FormErrors['fields'] = {}
  const rest = { ...raw }
  for (const [name, message] of Object.entries(parsed.errors.fields)) {
    delete rest[name]
    if ((FILTERS as readonly string[]).includes(name)) errors[name] = message
  }
  const again = parseForm<HomeFilters>(HomeQuery, rest)
  return orderedDates({ filters: again.ok ? again.value : {}, shown, errors })
}

/** A "to" day before the "from" day would list nothing: it is refused beside its field and left out instead. */
function orderedDates<T extends { filters: HomeFilters; errors: FormErrors['fields'] }>(read: T): T {
  const { from, to } = read.filters
  if (from === undefined || to === undefined || to >= from) return read
  const { to: _left, ...filters } = read.filters
  return { ...read, filters, errors: { ...read.errors, to: 'Choose a day on or after the “From” day' } }
}

function filterHref(f: HomeFilters, page: number): string {
  const params = new URLSearchParams()
  for (const key of ['q', 'venue', 'from', 'to'] as const) if (f[key]) params.set(key, f[key]!)
  if (page > 1) params.set('page', String(page))
  const qs = params.toString()
  return qs ? `/?${qs}` : '/'
}

function HomePage(p: {
  ctx: PageCtx
  filters: HomeFilters
  shown: Partial<Record<FilterName, string>>
  errors: FormErrors['fields']
  events: EventT[]
  page: number
  totalPages: number
  total: number
  going: Map<number, { username: string; display_name: string }[]>
}): JSX.Element {
  const f = p.filters
  return (
    <Layout
      ctx={p.ctx}
      title="Upcoming events"
      description="Find upcoming concerts, shows and talks, and book tickets with your friends."
    >
      <h1>Upcoming events</h1>
      <search aria-label="Filter events">
        <form method="get" action="/">
          <div class="filters">
            <Field
              name="q"
              label="Search"
              type="search"
              value={p.shown.q}
              error={p.errors.q}
              maxlength={100}
            />
            <Field name="venue" label="Venue" value={p.shown.venue} error={p.errors.venue} maxlength={200} />
            <Field name="from" label="From" type="date" value={p.shown.from} error={p.errors.from} />
            <Field name="to" label="To" type="date" value={p.shown.to} error={p.errors.to} />
            <button type="submit">Filter</button>
          </div>
        </form>
      </search>
      <p role="status" safe>
        {
          // A refused filter is left out of the search: the count says what the list was searched with.
          Object.keys(p.errors).length > 0
            ? p.total === 0
              ? 'No events match the other filters.'
              : `${p.total} event${p.total === 1 ? ' matches' : 's match'} the other filters`
            : p.total === 0
              ? 'No events match.'
              : `${p.total} event${p.total === 1 ? '' : 's'}`
        }
      </p>
      <ul class="cards">
        {p.events.map((e) => (
          <EventCard event={e} friendsGoing={p.going.get(e.id)} />
        ))}
      </ul>
      <Pager
        page={p.page}
        totalPages={p.totalPages}
        href={(n) => filterHref(f, n)}
        words={['← Earlier', 'Later →']}
      />
    </Layout>
  )
}

/** schema.org Event for search engines, with an offer per section. `<` is escaped so no text ends the script. */
function eventJsonLd(e: EventT, url: string): string {
  const availability = (available: number) =>
    e.status === 'cancelled'
      ? 'https://schema.org/Discontinued'
      : available > 0
        ? 'https://schema.org/InStock'
        : 'https://schema.org/SoldOut'
  const data = {
    '@context': 'https://schema.org',
    '@type': 'Event',
    name: e.title,
    description: excerpt(e.description, 500),
    startDate: isoOnClock(e.starts_at, e.timezone),
    ...(e.ends_at ? { endDate: isoOnClock(e.ends_at, e.timezone) } : {}),
    eventStatus:
      e.status === 'cancelled' ? 'https://schema.org/EventCancelled' : 'https://schema.org/EventScheduled',
    eventAttendanceMode: 'https://schema.org/OfflineEventAttendanceMode',
    location: { '@type': 'Place', name: e.venue, address: e.venue },
    ...(e.organizer ? { organizer: { '@type': 'Person', name: e.organizer.display_name } } : {}),
    url,
    offers: e.sections.map((s) => ({
      '@type': 'Offer',
      name: s.name,
      price: decimalAmount(s.price_cents, e.currency),
      priceCurrency: e.currency,
      availability: availability(s.available),
      url,
    })),
  }
  return JSON.stringify(data).replace(/</g, '\\u003c')
}

function EventHead(p: { event: EventT; url: string; description: string }): JSX.Element {
  const safeJsonLd = eventJsonLd(p.event, p.url)
  return (
    <>
      <link rel="canonical" href={p.url} />
      <meta property="og:type" content="website" />
      <meta property="og:title" content={attr(p.event.title)} />
      <meta property="og:description" content={attr(p.description)} />
      <meta property="og:url" content={attr(p.url)} />
      <meta property="og:site_name" content="Stagedoor" />
      <script type="application/ld+json">{safeJsonLd}</script>
    </>
  )
}

function EventPage(p: {
  ctx: PageCtx
  event: EventT
  url: string
  seats: SeatView[]
  friends: { id: number; username: string; display_name: string }[]
  going: { username: string; display_name: string }[]
  form?: ReserveFormState
  /** The waiting-list block (box-office/waitlist.pages.tsx), when it applies. */
  waitlist?: JSX.Element
  /** Whether that block offers to join: false once the member waits in every sold-out section. */
  waitlistJoinable?: boolean
  /**
   * The form just refused, if any: the top of the page says so and links to its reasons further down. Off sale
   * since the form was loaded, the page has no form to show them in: the top says why instead.
   */
  refused?: { form: 'reserve' | 'waitlist'; message?: string }
  /** The lapsed reservation whose choices fill the form again (`?again=`): the top links to booking again. */
  again?: number
  /** A guest's choice carried through the login (`choicePath`) fills the form: the top says so. */
  carried?: boolean
}): JSX.Element {
  const e = p.event
  const description = excerpt(`${when(e.starts_at, e.timezone)} at ${e.venue}. ${e.description}`)
  const status = eventAvailability(e)
  const onSale = e.status === 'published' && new Date(e.starts_at).getTime() > Date.now()
  const soldOut = e.sections.length > 0 && e.sections.every((s) => s.available === 0)
  // Rendered by WaitlistBlock, which escapes what it shows.
  const safeWaitlist = p.waitlist ?? ''
  return (
    <Layout
      ctx={p.ctx}
      title={e.title}
      description={description}
      head={<EventHead event={e} url={p.url} description={description} />}
      scripts={onSale ? ['availability.js', ...(p.seats.length > 0 ? ['seatmap.js'] : [])] : []}
    >
      <article data-availability-event={onSale ? String(e.id) : undefined}>
        {p.again !== undefined && onSale && p.ctx.user ? (
          <p class="book-again">
            <a href={`/events/${e.id}?again=${p.again}#reserve`}>Book again</a>: the choices of your lapsed
            hold are filled in below.
          </p>
        ) : p.carried && onSale && p.ctx.user && !soldOut ? (
          <p class="book-again">
            The choice you made before logging in is filled in below: <a href="#reserve">check it</a> and
            press Reserve to hold your tickets.
          </p>
        ) : (
          ''
        )}
        {p.refused && !onSale ? (
          <p class="error-summary" role="alert" safe>
            {p.refused.message ?? 'This event is not on sale.'}
          </p>
        ) : p.refused ? (
          // A refused form's page opens at its top, the reasons beside the fields far below on a phone.
          <p class="error-summary" role="alert">
            <a href={`#${p.refused.form}`}>
              {p.refused.form === 'reserve'
                ? 'Nothing was reserved: see why under “Reserve”.'
                : 'You were not added to the waiting list: see why under “Waiting list”.'}
            </a>
          </p>
        ) : (
          ''
        )}
        <header>
          <h1 safe>{e.title}</h1>
          <p class="meta">
            <time datetime={e.starts_at} safe>
              {when(e.starts_at, e.timezone)}
            </time>
            {e.ends_at ? (
              <>
                {' – '}
                <time datetime={e.ends_at} safe>
                  {when(e.ends_at, e.timezone)}
                </time>
              </>
            ) : (
              ''
            )}
            <br />
            <span safe>{e.venue}</span>
            {e.organizer ? (
              <>
                <br />
                Organized by{' '}
                <a href={`/users/${encodeURIComponent(e.organizer.username)}`} safe>
                  {e.organizer.display_name}
                </a>
              </>
            ) : (
              ''
            )}
          </p>
          <p>
            <span class={`badge badge-${status.tone}`} safe>
              {status.text}
            </span>
          </p>
        </header>
        {e.description ? (
          <div class="description">
            {e.description.split(/\n{2,}/).map((para) => (
              <p safe>{para}</p>
            ))}
          </div>
        ) : (
          ''
        )}
        <h2>Tickets</h2>
        <section class="table-wrap" tabindex="0" aria-label="Tickets by section">
          <table>
            <thead>
              <tr>
                <th scope="col">Section</th>
                <th scope="col">Price</th>
                <th scope="col">Availability</th>
              </tr>
            </thead>
            <tbody>
              {e.sections.map((s) => (
                <tr>
                  <th scope="row" safe>
                    {`${s.name}${s.kind === 'seated' ? ' (seated)' : ''}`}
                  </th>
                  <td safe>{price(s.price_cents, e.currency)}</td>
                  {/* Off sale (cancelled, over, a draft), every section says so, not places no one can buy. */}
                  <td data-availability={String(s.id)} data-few={String(fewLeft(s))} safe>
                    {onSale ? sectionAvailability(s).text : eventAvailability(e).text}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        {onSale ? <p id="availability-announce" class="visually-hidden" aria-live="polite" /> : ''}
        {p.going.length > 0 ? (
          <p safe>{`Friends going: ${p.going.map((f) => f.display_name).join(', ')}`}</p>
        ) : (
          ''
        )}
        {onSale ? (
          p.ctx.user ? (
            <section aria-labelledby="reserve-heading" id="reserve">
              <h2 id="reserve-heading">Reserve</h2>
              {soldOut ? (
                <p>
                  Every section is sold out.
                  {p.waitlist
                    ? p.waitlistJoinable
                      ? ' Join the waiting list below: when places come back, they are offered in turn.'
                      : ' You are on the waiting list below: when places come back, they are offered in turn.'
                    : ''}
                </p>
              ) : (
                <ReserveForm event={e} csrf={p.ctx.csrf} seats={p.seats} friends={p.friends} state={p.form} />
              )}
            </section>
          ) : soldOut ? (
            <p>
              <a href={`/login?next=${encodeURIComponent(`/events/${e.id}`)}`} class="cta">
                Log in to join the waiting list
              </a>
            </p>
          ) : (
            // The same choices for a guest, seats included: the login keeps them (`GET /events/{id}/reserve`).
            <section aria-labelledby="reserve-heading" id="reserve">
              <h2 id="reserve-heading">Reserve</h2>
              <ReserveForm event={e} csrf={null} seats={p.seats} friends={[]} state={p.form} guest />
            </section>
          )
        ) : (
          ''
        )}
        {safeWaitlist}
      </article>
    </Layout>
  )
}

const SearchQuery = Type.Object({ q: Type.Optional(Line({ maxLength: 100 })) })

/** What `/search` shows a page of, each kind 20 at a time. */
const SEARCH_KINDS = ['events', 'users', 'posts'] as const
type SearchKind = (typeof SEARCH_KINDS)[number]
const SEARCH_PER_PAGE = 20
const KIND_WORDS: Record<SearchKind, { heading: string; none: string; more: string }> = {
  events: { heading: 'Events', none: 'No events found.', more: 'More events' },
  users: { heading: 'People', none: 'No people found.', more: 'More people' },
  posts: { heading: 'Posts', none: 'No posts found.', more: 'More posts' },
}
/** A `type` a link sent: one of the kinds, else none (every kind, as a search from the box shows). */
const searchKindOf = (raw: unknown): SearchKind | undefined => SEARCH_KINDS.find((k) => k === raw)
const searchHref = (q: string, kind?: SearchKind, page = 1) =>
  `/search?${new URLSearchParams({ q, ...(kind ? { type: kind } : {}), ...(page > 1 ? { page: String(page) } : {}) })}`

type SearchResults = Awaited<ReturnType<typeof search>>

function FoundItems(p: { kind: SearchKind; results: SearchResults; count: number }): JSX.Element {
  const r = p.results
  if (p.kind === 'events') {
    return (
      <ul class="cards">
        {r.events.slice(0, p.count).map((e) => (
          <EventCard event={e} level={3} />
        ))}
      </ul>
    )
  }
  if (p.kind === 'users') {
    return (
      <ul>
        {r.users.slice(0, p.count).map((u) => (
          <li>
            <a href={`/users/${encodeURIComponent(u.username)}`} safe>
              {`${u.display_name} (@${u.username})`}
            </a>
          </li>
        ))}
      </ul>
    )
  }
  return (
    <ul>
      {r.posts.slice(0, p.count).map((post) => (
        <li>
          <a href={`/posts/${post.id}`} safe>
            {excerpt(post.body, 120)}
          </a>{' '}
          <small safe>{`by ${post.author.display_name}`}</small>
        </li>
      ))}
    </ul>
  )
}

/**
 * One kind's matches: the closest 20 on the page of every kind, with a link to the rest when there are more; on a
 * page of that kind alone (`type`), its page of 20 and the links between pages. Each list was asked for one more
 * than it shows, which says whether more follow.
 */
function FoundKind(p: { kind: SearchKind; q: string; results: SearchResults; alone: boolean; page: number }) {
  const words = KIND_WORDS[p.kind]
  const found = p.results[p.kind].length
  const more = found > SEARCH_PER_PAGE
  return (
    <section aria-labelledby={`found-${p.kind}`}>
      <h2 id={`found-${p.kind}`} safe>
        {words.heading}
      </h2>
      {found ? <FoundItems kind={p.kind} results={p.results} count={SEARCH_PER_PAGE} /> : ''}
      {found === 0 && p.page === 1 ? <p safe>{words.none}</p> : ''}
      {p.alone ? (
        <Pager
          page={p.page}
          totalPages={found === 0 ? 0 : more ? p.page + 1 : p.page}
          href={(n) => searchHref(p.q, p.kind, n)}
          words={['← Closer matches', 'More matches →']}
          label={`Pages of ${words.heading.toLowerCase()} found`}
          summary={`Page ${p.page}`}
        />
      ) : more ? (
        <p>
          <a href={searchHref(p.q, p.kind, 2)} safe>{`${words.more} matching “${p.q}” →`}</a>
        </p>
      ) : (
        ''
      )}
    </section>
  )
}

function SearchPage(p: {
  ctx: PageCtx
  q: string
  error?: string
  results: SearchResults | null
  /** The one kind shown, paged; else every kind the person may search. */
  kind?: SearchKind
  page: number
}): JSX.Element {
  const r = p.results
  const member = p.ctx.user !== null
  const kinds = p.kind ? [p.kind] : SEARCH_KINDS.filter((k) => member || k === 'events')
  const title =
    p.error || !p.q
      ? 'Search'
      : `Search: ${p.q}${p.kind ? ` (${KIND_WORDS[p.kind].heading.toLowerCase()}, page ${p.page})` : ''}`
  return (
    <Layout ctx={p.ctx} title={title}>
      <h1>Search</h1>
      <search>
        <form method="get" action="/search">
          <Field
            name="q"
            label={`Events${member ? ', people and posts' : ''}`}
            type="search"
            value={p.q}
            error={p.error}
            maxlength={100}
            required
          />
          <button type="submit">Search</button>
        </form>
      </search>
      {r ? (
        <>
          {p.kind ? (
            <p>
              <a href={searchHref(p.q)} safe>{`← Everything matching “${p.q}”`}</a>
            </p>
          ) : (
            ''
          )}
          {kinds.map((kind) => (
            <FoundKind kind={kind} q={p.q} results={r} alone={p.kind !== undefined} page={p.page} />
          ))}
          {member ? (
            ''
          ) : (
            <p>
              <a href={`/login?next=${encodeURIComponent(p.ctx.path)}`}>Log in</a> to search people and posts
              too.
            </p>
          )}
        </>
      ) : (
        ''
      )}
    </Layout>
  )
}

const hasErrors = (errors?: FormErrors) =>
  errors !== undefined && (errors.form !== undefined || Object.keys(errors.fields).length > 0)

function refusedOf(forms: { reserve?: ReserveFormState; waitlist?: WaitlistFormState }) {
  const { reserve, waitlist } = forms
  if (hasErrors(reserve?.errors)) return { form: 'reserve' as const, message: reserve?.errors.form }
  return hasErrors(waitlist?.errors)
    ? { form: 'waitlist' as const, message: waitlist?.errors.form }
    : undefined
}

/**
 * Renders the event page; `forms` brings back a refused reservation or waiting-list join (its values and errors)
 * with `status`, so their handlers show the same page with the message beside its field.
 */
export async function showEventPage(
  app: FastifyInstance,
  req: FastifyRequest,
  reply: FastifyReply,
  id: number,
  forms: {
    reserve?: ReserveFormState
    waitlist?: WaitlistFormState
    again?: number
    /** A guest's choice carried through the login (`choicePath`), as it came in the page's query. */
    carried?: ReserveValues
  } = {},
  status = 200,
) {
  const { ctx, config } = app
  const user = req.webUser
  const event = await getEvent(ctx, user, id)
  const onSale = event.status === 'published' && new Date(event.starts_at).getTime() > Date.now()
  const seated = event.sections.some((s) => s.kind === 'seated')
  const [seats, friends, going, waiting] = await Promise.all([
    onSale && seated ? seatMap(ctx, user, id) : [],
    user && onSale ? listFriends(ctx, user, pageParams({ page: 1, per_page: 100 })) : null,
    user ? friendsGoing(ctx, user, id, pageParams({ page: 1, per_page: 20 })) : null,
    user && onSale ? myLiveEntries(ctx, user, id) : [],
  ])
  const pageContext = pageCtx(req, reply)
  const soldOut = event.sections.some((s) => s.available === 0)
  // A choice carried through the login keeps only what fits the event as it is now.
  const carried = forms.carried ? fitChoice(forms.carried, event, seats) : undefined
  const reserveForm = carried ? { values: carried, errors: NO_ERRORS } : forms.reserve
  return sendHtml(
    req,
    reply,
    <EventPage
      ctx={pageContext}
      event={event}
      url={`${config.PUBLIC_URL}/events/${event.id}`}
      seats={seats}
      friends={friends?.data ?? []}
      going={going?.data ?? []}
      form={reserveForm}
      again={forms.again}
      carried={carried !== undefined}
      waitlist={
        user && onSale && (soldOut || waiting.length > 0 || forms.waitlist) ? (
          <WaitlistBlock
            event={event}
            csrf={pageContext.csrf}
            entries={waiting}
            friends={friends?.data ?? []}
            form={forms.waitlist}
          />
        ) : undefined
      }
      waitlistJoinable={joinableSections(event, waiting).length > 0}
      refused={refusedOf(forms)}
    />,
    status,
  )
}

const xml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  )

export async function eventPages(app: FastifyInstance) {
  const { ctx, config } = app

  app.get('/', { schema: { hide: true } }, async (req, reply) => {
    const { filters, shown, errors } = readFilters(req.query)
    const page = pageParams({ page: filters.page ?? 1, per_page: PER_PAGE })
    // Upcoming only, within the chosen days as each event's card dates it (on its own zone's clock).
    const result = await listEvents(
      ctx,
      req.webUser,
      {
        q: filters.q?.trim() || undefined,
        venue: filters.venue?.trim() || undefined,
        from: new Date().toISOString(),
      },
      page,
      { from: filters.from, to: filters.to },
    )
    const going = req.webUser
      ? await friendsGoingToEach(
          ctx,
          req.webUser,
          result.data.map((e) => e.id),
        )
      : new Map()
    return sendHtml(
      req,
      reply,
      <HomePage
        ctx={pageCtx(req, reply)}
        filters={filters}
        shown={shown}
        errors={errors}
        events={result.data}
        page={result.page}
        totalPages={result.total_pages}
        total={result.total}
        going={going}
      />,
      Object.keys(errors).length ? FORM_INVALID : 200,
    )
  })

  app.get('/events/:id', { schema: { hide: true, params: Type.Object({ id: Id }) } }, async (req, reply) => {
    const { id } = req.params as { id: number }
    // After a lapsed checkout (?again={reservation}), the buyer's choices are filled in again.
    const again = await valuesOfHold(ctx, req.webUser, id, (req.query as { again?: unknown }).again)
    // Else a guest's choice, kept through the login (`GET /events/{id}/reserve`), is filled in again.
    const carried = again ? undefined : carriedChoice(req.query)
    return showEventPage(
      app,
      req,
      reply,
      id,
      again
        ? {
            reserve: { values: again, errors: { fields: {} } },
            again: wholeNumberOf((req.query as { again?: unknown }).again),
          }
        : { carried },
    )
  })

  app.get('/search', { schema: { hide: true } }, async (req, reply) => {
    const raw = (req.query as { q?: unknown }).q
    const parsed = parseForm<{ q?: string }>(SearchQuery, { q: raw })
    if (!parsed.ok) {
      const shown = typeof raw === 'string' ? raw : ''
      return sendHtml(
        req,
        reply,
        <SearchPage
          ctx={pageCtx(req, reply)}
          q={shown}
          error={parsed.errors.fields.q}
          results={null}
          page={1}
        />,
        FORM_INVALID,
      )
    }
    const q = parsed.value.q?.trim() ?? ''
    // `type` and `page` come from the page's own links ("More people matching …"): one kind, 20 at a time.
    const kind = searchKindOf((req.query as { type?: unknown }).type)
    const { page, offset } = kind ? requestedPage(req, SEARCH_PER_PAGE) : { page: 1, offset: 0 }
    // A guest asking for people or posts is asked to log in (the events are theirs to search).
    const searchable = kind && !req.webUser && kind !== 'events' ? undefined : kind
    const results = q
      ? await search(ctx, req.webUser, {
          q,
          type: searchable ?? (kind ? 'events' : undefined),
          limit: SEARCH_PER_PAGE + 1,
          offset: searchable ? offset : 0,
        })
      : null
    return sendHtml(
      req,
      reply,
      <SearchPage
        ctx={pageCtx(req, reply)}
        q={q}
        results={results}
        kind={searchable}
        page={searchable ? page : 1}
      />,
    )
  })

  app.get('/sitemap.xml', { schema: { hide: true } }, async (_req, reply) => {
    const urls: string[] = []
    // Every published event, a page of 100 at a time (a sitemap holds at most 50,000 URLs).
    for (let n = 1; urls.length < 50_000; n++) {
      const page = await listEvents(ctx, null, {}, pageParams({ page: n, per_page: 100 }))
      for (const e of page.data) {
        urls.push(
          `<url><loc>${xml(`${config.PUBLIC_URL}/events/${e.id}`)}</loc><lastmod>${e.updated_at}</lastmod></url>`,
        )
      }
      if (n >= page.total_pages) break
    }
    return reply
      .type('application/xml; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(
        `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join('')}</urlset>\n`,
      )
  })

  app.get('/robots.txt', { schema: { hide: true } }, async (_req, reply) => {
    const lines = [
      'User-agent: *',
      'Allow: /',
      'Disallow: /api/',
      'Disallow: /settings',
      'Disallow: /messages',
      'Disallow: /reservations/',
      'Disallow: /invoices',
      'Disallow: /tickets',
      'Disallow: /organizer/',
      'Disallow: /admin/',
      `Sitemap: ${config.PUBLIC_URL}/sitemap.xml`,
    ]
    return reply
      .type('text/plain; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(`${lines.join('\n')}\n`)
  })
}
