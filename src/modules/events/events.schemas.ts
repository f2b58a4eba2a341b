// Event and section representations, request bodies and list queries.
import { type Static, Type } from 'typebox'
import { CURRENCY_CODE } from '../../lib/money.js'
import { Id, Line, NOT_BLANK, NoSort, PageQuery, SortQuery, Timestamp } from '../../lib/schemas.js'
import { UserPublic } from '../users/users.schemas.js'

export const SECTION_LIMITS = { capacity: 1_000_000, rows: 100, seatsPerRow: 200, price: 100_000_000 }

const SectionName = Line({ minLength: 1, maxLength: 100, pattern: NOT_BLANK })
const PriceCents = Type.Integer({ minimum: 0, maximum: SECTION_LIMITS.price, description: 'Minor units' })
const Capacity = Type.Integer({ minimum: 1, maximum: SECTION_LIMITS.capacity })
const Rows = Type.Integer({ minimum: 1, maximum: SECTION_LIMITS.rows })
const SeatsPerRow = Type.Integer({ minimum: 1, maximum: SECTION_LIMITS.seatsPerRow })
const Kind = Type.Union([Type.Literal('general'), Type.Literal('seated')])
const Title = Line({ minLength: 1, maxLength: 200, pattern: NOT_BLANK })
const Venue = Line({ minLength: 1, maxLength: 200, pattern: NOT_BLANK })
const Description = Type.String({ maxLength: 10_000 })
const Currency = Type.String({ pattern: CURRENCY_CODE.source, description: 'ISO 4217 code, e.g. AUD' })
const MaxTickets = Type.Integer({ minimum: 1, maximum: 10_000 })
const TIME_ZONE_WORDS =
  'The IANA name of the time zone the event takes place in, such as Europe/Berlin: pages and e-mails show its ' +
  "times on that zone's clock, the organizer's forms read them there, and its sales are counted by day there. " +
  'The times themselves stay instants (starts_at, ends_at), whatever the zone.'
const TimeZone = Type.String({
  minLength: 1,
  maxLength: 64,
  description:
    `${TIME_ZONE_WORDS} UTC when a new event names none. Changing it moves no instant: the same times are then ` +
    "shown on the new zone's clock. A name in any case is stored as the zone list spells it (europe/berlin → " +
    'Europe/Berlin); another name of a zone (an alias such as US/Pacific) is stored as given. A name that is no ' +
    'zone is 400.',
  examples: ['Europe/Berlin'],
})

export const Section = Type.Object(
  {
    id: Id,
    name: Type.String(),
    kind: Kind,
    price_cents: Type.Integer(),
    capacity: Type.Integer(),
    sold: Type.Integer(),
    held: Type.Integer(),
    available: Type.Integer({ description: 'capacity - sold - held' }),
    rows: Type.Optional(Type.Integer()),
    seats_per_row: Type.Optional(Type.Integer()),
  },
  { $id: 'Section' },
)

export const Event = Type.Object(
  {
    id: Id,
    title: Type.String(),
    description: Type.String(),
    venue: Type.String(),
    starts_at: Timestamp,
    ends_at: Type.Union([Timestamp, Type.Null()]),
    timezone: Type.String({ description: TIME_ZONE_WORDS }),
    status: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('cancelled')]),
    organizer: Type.Union([UserPublic, Type.Null()], { description: 'null once the account is deleted' }),
    max_tickets_per_user: Type.Union([Type.Integer(), Type.Null()]),
    currency: Type.String(),
    sections: Type.Array(Section),
    tickets_sold: Type.Integer(),
    capacity: Type.Integer(),
    min_price_cents: Type.Union([Type.Integer(), Type.Null()]),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Event' },
)

export type SectionT = Static<typeof Section>
export type EventT = Static<typeof Event>

export const SectionBody = Type.Object({
  name: SectionName,
  kind: Type.Optional(Kind),
  price_cents: PriceCents,
  capacity: Type.Optional(Capacity),
  rows: Type.Optional(Rows),
  seats_per_row: Type.Optional(SeatsPerRow),
})

export const UpdateSectionBody = Type.Object({
  name: Type.Optional(SectionName),
  price_cents: Type.Optional(PriceCents),
  capacity: Type.Optional(Capacity),
  rows: Type.Optional(Rows),
  seats_per_row: Type.Optional(SeatsPerRow),
})

export type SectionInput = Static<typeof SectionBody>
export type SectionPatch = Static<typeof UpdateSectionBody>

export const CreateEventBody = Type.Object({
  title: Title,
  description: Type.Optional(Description),
  venue: Venue,
  starts_at: Timestamp,
  ends_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  timezone: Type.Optional(TimeZone),
  currency: Type.Optional(Currency),
  max_tickets_per_user: Type.Optional(Type.Union([MaxTickets, Type.Null()])),
  sections: Type.Array(SectionBody, { minItems: 1, maxItems: 50 }),
})

export const UpdateEventBody = Type.Object({
  title: Type.Optional(Title),
  description: Type.Optional(Description),
  venue: Type.Optional(Venue),
  starts_at: Type.Optional(Timestamp),
  ends_at: Type.Optional(Type.Union([Timestamp, Type.Null()])),
  timezone: Type.Optional(TimeZone),
  currency: Type.Optional(Currency),
  max_tickets_per_user: Type.Optional(Type.Union([MaxTickets, Type.Null()])),
})

export type CreateEventInput = Static<typeof CreateEventBody>
export type UpdateEventInput = Static<typeof UpdateEventBody>

export const EVENT_SORTS = ['starts_at', 'created_at', 'title', 'min_price_cents'] as const
export type EventSort = (typeof EVENT_SORTS)[number]

export const EventListQuery = Type.Object({
  q: Type.Optional(Line({ minLength: 1, maxLength: 100, description: 'Part of the title' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Starts at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Starts at or before' })),
  venue: Type.Optional(Line({ minLength: 1, maxLength: 200, description: 'Part of the venue' })),
  organizer_id: Type.Optional(Id),
  status: Type.Optional(
    Type.Union([Type.Literal('published'), Type.Literal('cancelled'), Type.Literal('draft')], {
      description:
        'Default published. draft lists only your own drafts (every draft for an admin). cancelled lists the ' +
        'events cancelled after they were published; one cancelled while still a draft stays private, listed ' +
        'only to its organizer and admins.',
    }),
  ),
  ...PageQuery,
  sort: SortQuery(EVENT_SORTS),
})

export type EventListInput = Static<typeof EventListQuery>

export const EventParams = Type.Object({ id: Id })
export const SectionParams = Type.Object({ id: Id, section_id: Id })

/** The most seats one page of the seat map holds (and its default page size). */
export const SEAT_PAGE_MAX = 1000

export const SeatsQuery = Type.Object({
  sort: NoSort,
  section_id: Type.Optional(Id),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  per_page: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: SEAT_PAGE_MAX,
      default: SEAT_PAGE_MAX,
      description: 'Seats per page',
    }),
  ),
})

export const Seat = Type.Object({
  id: Id,
  section_id: Id,
  row: Type.String(),
  number: Type.Integer(),
  status: Type.Union([Type.Literal('available'), Type.Literal('held'), Type.Literal('sold')]),
})

export const SeatMap = Type.Array(Seat, {
  maxItems: SEAT_PAGE_MAX,
  description: 'One page of seats, front row first; a hold past its expiry counts as available',
})
