// The organizer's forms: an event's fields and a section's, as typed (kept on error) and as the services' input.
// An event's times are typed on the clock of its time zone; prices in the currency's major unit.
import { CURRENCY_CODE, isCurrency, minorUnitDigits } from '../../lib/money.js'
import { DEFAULT_TIME_ZONE, instantOf, TIME_ZONES, timeZoneNamed, wallTimeOf } from '../../lib/time-zones.js'
import {
  CreateEventBody,
  type CreateEventInput,
  type EventT,
  SECTION_LIMITS,
  SectionBody,
  type SectionInput,
  type SectionPatch,
  type SectionT,
  UpdateEventBody,
  type UpdateEventInput,
  UpdateSectionBody,
} from '../../modules/events/events.schemas.js'
import { Field } from '../layout.js'
import { type FormErrors, NO_ERRORS, parseForm, withErrors } from '../page.js'

export type Values = Record<string, string>

const text = (body: unknown): Values => {
  const out: Values = {}
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v
  }
  return out
}

/** An instant as a datetime-local input shows it, on the clock of `zone`. */
export const localOf = (iso: string | null | undefined, zone: string) => (iso ? wallTimeOf(iso, zone) : '')

/**
 * "2026-12-31T19:30" (a datetime-local input, read on the clock of `zone`) → ISO; anything else (a day that
 * does not exist, words) is left for the schema to refuse. A value left as the form showed `kept` keeps that
 * instant: its seconds, and which of the two times it was in an hour the clocks pass twice, which its value
 * cannot say. Saving a form untouched moves nothing, whatever zone it now names.
 */
export const isoOf = (
  local: string | undefined,
  zone: string,
  kept?: { iso: string | null | undefined; zone: string },
) =>
  kept?.iso && local === localOf(kept.iso, kept.zone) ? kept.iso : (local && instantOf(local, zone)) || local

/** The zone a form's times are read in: the one it names, else `fallback` (a zone it misnames is refused beside its field). */
const zoneOfForm = (v: Values, fallback: string) =>
  (v.timezone?.trim() && timeZoneNamed(v.timezone.trim())) || fallback

/**
 * An end that is not after its start, in words for the person beside the end's field (the service refuses it
 * too, but in the API's words, "must be after starts_at", and only once everything else is right). Values
 * that are not times are left to the schema.
 */
export function endError(
  start: string | null | undefined,
  end: string | null | undefined,
  startInWords: string,
): string | undefined {
  if (!start || !end) return undefined
  return Date.parse(end) <= Date.parse(start) ? `Set a time after ${startInWords}` : undefined
}

/** The currency's decimals; a malformed code (refused beside its own field) has two: Intl throws on it. */
const digitsOf = (currency: string) => (CURRENCY_CODE.test(currency) ? minorUnitDigits(currency) : 2)

/** "45.50" → 4550 in a two-decimal currency; undefined when it is not an amount. */
export function minorOf(amount: string | undefined, currency: string): number | string | undefined {
  if (!amount) return undefined
  const digits = digitsOf(currency)
  const m = /^(\d{1,9})(?:[.,](\d+))?$/.exec(amount.trim())
  if (!m || (m[2]?.length ?? 0) > digits) return 'not a price'
  return Number(m[1]) * 10 ** digits + Number((m[2] ?? '').padEnd(digits, '0') || 0)
}

export function eventValues(e: EventT): Values {
  return {
    title: e.title,
    description: e.description,
    venue: e.venue,
    starts_at: localOf(e.starts_at, e.timezone),
    ends_at: localOf(e.ends_at, e.timezone),
    timezone: e.timezone,
    currency: e.currency,
    max_tickets_per_user: e.max_tickets_per_user ? String(e.max_tickets_per_user) : '',
  }
}

export function sectionValues(s: SectionT, currency: string): Values {
  const digits = minorUnitDigits(currency)
  return {
    name: s.name,
    kind: s.kind,
    price: (s.price_cents / 10 ** digits).toFixed(digits),
    capacity: String(s.capacity),
    rows: s.rows ? String(s.rows) : '',
    seats_per_row: s.seats_per_row ? String(s.seats_per_row) : '',
  }
}

/** What an edit form showed of the event's times (none for a new event). */
type Shown = Pick<EventT, 'starts_at' | 'ends_at' | 'timezone'>

/**
 * The form's times as instants: typed on the clock of the zone it names, else the event's (UTC for a new one);
 * a time left as the form showed it keeps its instant (isoOf).
 */
function formTimes(v: Values, shown?: Shown) {
  const at = zoneOfForm(v, shown?.timezone ?? DEFAULT_TIME_ZONE)
  const was = (iso: string | null | undefined) => (shown ? { iso, zone: shown.timezone } : undefined)
  return {
    starts_at: isoOf(v.starts_at, at, was(shown?.starts_at)),
    ends_at: isoOf(v.ends_at, at, was(shown?.ends_at)),
  }
}

/** The service's input from a form (formTimes reads its times). */
function eventFields(v: Values, shown?: Shown) {
  const times = formTimes(v, shown)
  return {
    title: v.title,
    description: v.description ?? '',
    venue: v.venue,
    starts_at: times.starts_at,
    ends_at: times.ends_at || undefined,
    // Left out, the zone stays as it is (a new event's is UTC); sent blank, it is UTC.
    timezone: v.timezone === undefined ? undefined : v.timezone.trim() || DEFAULT_TIME_ZONE,
    currency: v.currency?.trim().toUpperCase() || undefined,
    max_tickets_per_user: v.max_tickets_per_user,
  }
}

function sectionFields(v: Values, currency: string, partial: boolean) {
  const seated = v.kind === 'seated'
  return {
    name: v.name,
    ...(partial ? {} : { kind: seated ? 'seated' : 'general' }),
    price_cents: minorOf(v.price, currency),
    ...(seated ? { rows: v.rows, seats_per_row: v.seats_per_row } : { capacity: v.capacity }),
  }
}

/**
 * A price's error, in the currency's own terms, beside the price field the person typed in (the schema checks
 * `price_cents`, a number they never saw).
 */
function priceError(price: string | undefined, currency: string): string {
  if (!price?.trim()) return 'Fill this in'
  const digits = digitsOf(currency)
  if (typeof minorOf(price, currency) === 'string') {
    return digits === 0 ? 'Use digits only, without decimals' : `Use digits, with at most ${digits} decimals`
  }
  return `Enter ${(SECTION_LIMITS.price / 10 ** digits).toFixed(digits)} or less`
}

/**
 * A section form's errors as the person sees them: the price's in its own words and, for a new section, the
 * size fields its kind needs that were left blank (the service asks for them too, but only once everything else
 * is right: this shows every error of the form at once). A blank size field of an edit keeps the size.
 */
function sectionErrors(errors: FormErrors, values: Values, currency: string, isNew: boolean): FormErrors {
  const { price_cents, ...fields } = errors.fields
  if (price_cents) fields.price = priceError(values.price, currency)
  const needed = values.kind === 'seated' ? (['rows', 'seats_per_row'] as const) : (['capacity'] as const)
  if (isNew) for (const name of needed) if (!values[name]?.trim()) fields[name] ??= 'Fill this in'
  return { ...errors, fields }
}

function endsError(v: Values, shown?: Shown) {
  const times = formTimes(v, shown)
  return endError(times.starts_at, times.ends_at, 'the start')
}

/** A zone the form cannot take (only a tampered form sends one: the field is a list), in words beside it. */
function timeZoneError(v: Values): string | undefined {
  const name = v.timezone?.trim()
  return name && !timeZoneNamed(name) ? 'Choose a time zone from the list, such as Europe/Berlin' : undefined
}

/**
 * A currency the form cannot take, in words beside its field, at once: the schema only knows three capital
 * letters ("This is not in the expected form"), and the service a code it knows only once the rest is right,
 * in the API's words ("is not an ISO 4217 currency code"). Blank is the default currency.
 */
function currencyError(v: Values): string | undefined {
  const code = v.currency?.trim().toUpperCase()
  return code && !isCurrency(code) ? 'Use a currency code such as AUD, EUR or USD' : undefined
}

/** The checks of an event's own fields the schema cannot make: the end after the start, a known zone and currency. */
function eventErrors(v: Values, shown?: Shown): Record<string, string> {
  const ends = endsError(v, shown)
  const timezone = timeZoneError(v)
  const currency = currencyError(v)
  return {
    ...(ends ? { ends_at: ends } : {}),
    ...(timezone ? { timezone } : {}),
    ...(currency ? { currency } : {}),
  }
}

export function readNewEvent(body: unknown) {
  const values = text(body)
  const currency = values.currency?.trim().toUpperCase() || 'AUD'
  const section = parseForm<SectionInput>(SectionBody, sectionFields(values, currency, false))
  // The event's own fields are checked with a stand-in section: the section's errors come from its own check.
  const standIn = { name: 'section', price_cents: 0, capacity: 1 }
  const event = parseForm<CreateEventInput>(CreateEventBody, {
    ...eventFields(values),
    sections: [section.ok ? section.value : standIn],
  })
  const errors = withErrors(
    sectionErrors(section.ok ? NO_ERRORS : section.errors, values, currency, true),
    // The page's own words last: they say more ("not in the expected form" for a currency of four letters).
    { ...(event.ok ? {} : event.errors.fields), ...eventErrors(values) },
  )
  if (Object.keys(errors.fields).length > 0 || !section.ok || !event.ok) return { values, errors }
  return { values, input: { ...event.value, sections: [section.value] } }
}

/** The fields the edit form requires, as the create form does: emptied, they are an error, not "leave as is". */
const REQUIRED_ON_EDIT = ['title', 'venue', 'starts_at'] as const

/**
 * An edit of `event`: a form that names no zone keeps the event's, a time typed anew is read on the clock of the
 * zone the form names, and a time left as shown keeps its instant (formTimes).
 */
export function readEventChange(body: unknown, event: Shown) {
  const values = text(body)
  const parsed = parseForm<UpdateEventInput>(UpdateEventBody, eventFields(values, event))
  const own = eventErrors(values, event)
  const blank: Record<string, string> = {}
  for (const name of REQUIRED_ON_EDIT) if (!values[name]?.trim()) blank[name] = 'Fill this in'
  if (!parsed.ok || Object.keys(own).length > 0 || Object.keys(blank).length > 0) {
    return { values, errors: withErrors(parsed.ok ? NO_ERRORS : parsed.errors, { ...blank, ...own }) }
  }
  // An emptied end time, limit or description is a removal, not "leave as is".
  const input = {
    ...parsed.value,
    description: values.description?.trim() ? parsed.value.description : '',
    ends_at: parsed.value.ends_at ?? null,
    max_tickets_per_user: parsed.value.max_tickets_per_user ?? null,
  }
  return { values, input }
}

export function readSection(body: unknown, currency: string) {
  const values = text(body)
  const parsed = parseForm<SectionInput>(SectionBody, sectionFields(values, currency, false))
  const errors = sectionErrors(parsed.ok ? NO_ERRORS : parsed.errors, values, currency, true)
  return parsed.ok && Object.keys(errors.fields).length === 0
    ? { values, input: parsed.value }
    : { values, errors }
}

export function readSectionChange(body: unknown, currency: string, kind: SectionT['kind']) {
  const values = { ...text(body), kind }
  const parsed = parseForm<SectionPatch>(UpdateSectionBody, sectionFields(values, currency, true))
  return parsed.ok
    ? { values, input: parsed.value }
    : { values, errors: sectionErrors(parsed.errors, values, currency, false) }
}

/** The event's and its sections' field labels, for their fields and a refused form's error summary. */
export const EVENT_LABELS = {
  title: 'Title',
  venue: 'Venue',
  starts_at: 'Starts',
  ends_at: 'Ends (optional)',
  timezone: 'Time zone',
  currency: 'Currency',
  max_tickets_per_user: 'Tickets per person (optional)',
  description: 'Description',
}
export const SECTION_LABELS = {
  name: 'Section name',
  price: 'Price',
  capacity: 'Capacity',
  rows: 'Rows',
  seats_per_row: 'Seats per row',
}

export function EventFields(p: { values: Values; errors?: FormErrors }): JSX.Element {
  const v = p.values
  const e = p.errors?.fields ?? {}
  return (
    <>
      <Field
        name="title"
        label={EVENT_LABELS.title}
        value={v.title}
        error={e.title}
        required
        maxlength={200}
      />
      <Field
        name="venue"
        label={EVENT_LABELS.venue}
        value={v.venue}
        error={e.venue}
        required
        maxlength={200}
      />
      <div class="grid">
        <Field
          name="starts_at"
          label={EVENT_LABELS.starts_at}
          type="datetime-local"
          value={v.starts_at}
          error={e.starts_at}
          required
        />
        <Field
          name="ends_at"
          label={EVENT_LABELS.ends_at}
          type="datetime-local"
          value={v.ends_at}
          error={e.ends_at}
        />
      </div>
      <TimeZoneField value={v.timezone} error={e.timezone} />
      <div class="grid">
        <Field
          name="currency"
          label={EVENT_LABELS.currency}
          value={v.currency ?? 'AUD'}
          error={e.currency}
          hint="ISO code, such as AUD or EUR"
          maxlength={3}
        />
        <Field
          name="max_tickets_per_user"
          label={EVENT_LABELS.max_tickets_per_user}
          type="number"
          value={v.max_tickets_per_user}
          error={e.max_tickets_per_user}
        />
      </div>
      <Field
        name="description"
        label={EVENT_LABELS.description}
        type="textarea"
        value={v.description}
        error={e.description}
        maxlength={10_000}
      />
    </>
  )
}

/**
 * The event's time zone, a list (as pretix has it), UTC first; a zone the list spells otherwise (Asia/Kolkata,
 * listed as Asia/Calcutta) is offered as the event has it. Its error, like Field's, is tied to it.
 */
function TimeZoneField(p: { value?: string; error?: string }): JSX.Element {
  const current = p.value?.trim() || DEFAULT_TIME_ZONE
  const zones = TIME_ZONES.includes(current) ? TIME_ZONES : [current, ...TIME_ZONES]
  const described = p.error ? 'f-timezone-error f-timezone-hint' : 'f-timezone-hint'
  return (
    <label for="f-timezone">
      <span safe>{EVENT_LABELS.timezone}</span>
      <select
        id="f-timezone"
        name="timezone"
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={described}
      >
        {zones.map((z) => (
          <option value={z} selected={z === current} safe>
            {z}
          </option>
        ))}
      </select>
      <small id="f-timezone-hint">
        Where the event takes place: its start and end are on this zone's clock
      </small>
      {p.error ? (
        <small id="f-timezone-error" class="field-error" safe>
          {p.error}
        </small>
      ) : (
        ''
      )}
    </label>
  )
}

/** A section's fields; `prefix` keeps ids unique when several section forms share a page. */
export function SectionFields(p: { values: Values; errors?: FormErrors; kindFixed?: boolean }): JSX.Element {
  const v = p.values
  const e = p.errors?.fields ?? {}
  const showGeneral = !p.kindFixed || v.kind !== 'seated'
  const showSeated = !p.kindFixed || v.kind === 'seated'
  return (
    <>
      <Field name="name" label={SECTION_LABELS.name} value={v.name} error={e.name} required maxlength={100} />
      {p.kindFixed ? (
        ''
      ) : (
        <label for="f-kind">
          Kind
          <select id="f-kind" name="kind">
            <option value="general" selected={v.kind !== 'seated'}>
              General admission (a capacity)
            </option>
            <option value="seated" selected={v.kind === 'seated'}>
              Seated (rows × seats)
            </option>
          </select>
        </label>
      )}
      <Field
        name="price"
        label={SECTION_LABELS.price}
        value={v.price}
        error={e.price}
        hint="Such as 45.00"
        required
      />
      {/* A new section offers both kinds' sizes (without scripts the form cannot change with the kind); an
          existing one keeps its kind, so it shows only its own. */}
      <div class="grid">
        {showGeneral ? (
          <Field
            name="capacity"
            label={p.kindFixed ? SECTION_LABELS.capacity : `${SECTION_LABELS.capacity} (general admission)`}
            type="number"
            value={v.capacity}
            error={e.capacity}
          />
        ) : (
          ''
        )}
        {showSeated ? (
          <>
            <Field
              name="rows"
              label={p.kindFixed ? SECTION_LABELS.rows : `${SECTION_LABELS.rows} (seated)`}
              type="number"
              value={v.rows}
              error={e.rows}
            />
            <Field
              name="seats_per_row"
              label={p.kindFixed ? SECTION_LABELS.seats_per_row : `${SECTION_LABELS.seats_per_row} (seated)`}
              type="number"
              value={v.seats_per_row}
              error={e.seats_per_row}
            />
          </>
        ) : (
          ''
        )}
      </div>
    </>
  )
}
