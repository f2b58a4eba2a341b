// The reservation form of an event page: one real form (pretix-style) posting to /events/{id}/reserve. Seats
// are checkboxes in a fieldset per section and row, each with its full accessible name; friends are chosen, not
// typed; a script may only make it nicer.
import type { EventT, SectionT } from '../../modules/events/events.schemas.js'
import type { SeatStatus } from '../../modules/events/seats.service.js'
import { attr, fewLeft, money, price, sectionAvailability } from '../format.js'
import { CsrfField, FormError } from '../layout.js'
import { type FormErrors, formList, wholeNumberOf } from '../page.js'

/** What the buyer sent, kept when the form comes back with an error (nothing is typed twice). */
export interface ReserveValues {
  section_id?: string
  quantity?: string
  seat_ids: string[]
  together: boolean
  attendee_ids: string[]
  split_payment: boolean
  voucher_code?: string
}

/** The reservation form's fields as sent: a POST's body, or a guest's choice carried in a link's query. */
export function readReserveValues(sent: Record<string, unknown>): ReserveValues {
  return {
    section_id: typeof sent.section_id === 'string' ? sent.section_id : undefined,
    quantity: typeof sent.quantity === 'string' ? sent.quantity : undefined,
    seat_ids: formList(sent.seat_ids),
    together: sent.together === 'true',
    attendee_ids: formList(sent.attendee_ids),
    split_payment: sent.split_payment === 'true',
    voucher_code: typeof sent.voucher_code === 'string' ? sent.voucher_code.trim() : undefined,
  }
}

/** The fields a guest's form sends (friends are chosen once logged in). */
const CARRIED = ['section_id', 'quantity', 'seat_ids', 'together', 'voucher_code'] as const

/** The longest path a login returns to (`safeNext`): a longer choice drops its seats rather than the page. */
const LONGEST_RETURN = 2000

/**
 * The event page with a guest's choice in its query, to come back to once logged in: the section, the number,
 * the seats (whole numbers, at most 100), together or not, and the voucher.
 */
export function choicePath(eventId: number, v: ReserveValues): string {
  const query = new URLSearchParams()
  const section = wholeNumberOf(v.section_id)
  if (section !== undefined) query.set('section_id', String(section))
  const quantity = wholeNumberOf(v.quantity)
  if (quantity !== undefined) query.set('quantity', String(quantity))
  const seats = new Set(v.seat_ids.map(wholeNumberOf).filter((s) => s !== undefined))
  for (const seat of [...seats].slice(0, 100)) query.append('seat_ids', String(seat))
  if (v.together) query.set('together', 'true')
  if (v.voucher_code && v.voucher_code.length <= 64) query.set('voucher_code', v.voucher_code)
  const path = (q: URLSearchParams) => `/events/${eventId}${q.size > 0 ? `?${q}` : ''}#reserve`
  if (path(query).length <= LONGEST_RETURN) return path(query)
  query.delete('seat_ids')
  return path(query)
}

/** A choice carried in the event page's query (`choicePath`), to fill its form in again; none without one. */
export function carriedChoice(query: unknown): ReserveValues | undefined {
  const sent = (query ?? {}) as Record<string, unknown>
  if (!CARRIED.some((key) => sent[key] !== undefined)) return undefined
  return { ...readReserveValues(sent), attendee_ids: [], split_payment: false }
}

/**
 * A carried choice fitted to the event as it is now: a section of this event, seats of its seat map (of that
 * section, when one is named), a number from 1 to the event's limit, or the number of seats kept. Undefined when
 * nothing fits, so the page says nothing was filled in.
 */
export function fitChoice(v: ReserveValues, event: EventT, seats: SeatView[]): ReserveValues | undefined {
  const section = event.sections.find((s) => String(s.id) === v.section_id)
  const mapped = new Map(seats.map((seat) => [String(seat.id), seat.section_id]))
  const seatIds = v.seat_ids.filter((id) => mapped.has(id) && (!section || mapped.get(id) === section.id))
  const sectionId = section
    ? String(section.id)
    : seatIds.length > 0
      ? String(mapped.get(seatIds[0]!))
      : undefined
  const kept = seatIds.filter((id) => String(mapped.get(id)) === sectionId)
  const asked = wholeNumberOf(v.quantity)
  const most = event.max_tickets_per_user ?? 100
  const quantity = kept.length > 0 ? String(kept.length) : asked && asked <= most ? String(asked) : undefined
  const fitted = { ...v, section_id: sectionId, seat_ids: kept, quantity }
  return sectionId || quantity || v.voucher_code ? fitted : undefined
}

/** A refused reservation: the values as sent and the errors tied to their fields. */
export interface ReserveFormState {
  values: ReserveValues
  errors: FormErrors
}

/**
 * The error of `name` under its field, with the id its control points at through aria-describedby. `prefix`
 * keeps the ids of the event page's two forms apart: `f` for this one, `w` for the waiting list's.
 */
export function FieldError(p: { name: string; errors?: FormErrors; prefix?: string }): JSX.Element {
  const message = p.errors?.fields[p.name]
  return message ? (
    <small id={`${p.prefix ?? 'f'}-${p.name}-error`} class="field-error" safe>
      {message}
    </small>
  ) : (
    ''
  )
}

export const describedBy = (name: string, errors?: FormErrors, prefix = 'f') =>
  errors?.fields[name] ? `${prefix}-${name}-error` : undefined

/** Who is coming with you (friends, ticked) and whether each pays their own; its error above the friends. */
export function CompanyFields(p: {
  friends: { id: number; username: string; display_name: string }[]
  chosen: string[]
  splitPayment: boolean
  errors?: FormErrors
  prefix?: string
}): JSX.Element {
  const prefix = p.prefix ?? 'f'
  // Without friends to choose, a refusal of the list (a hand-edited one) still shows.
  if (p.friends.length === 0) return <FieldError name="attendee_ids" errors={p.errors} prefix={prefix} />
  return (
    <fieldset id={`${prefix}-attendee_ids`} aria-describedby={describedBy('attendee_ids', p.errors, prefix)}>
      <legend>Who is coming with you</legend>
      <FieldError name="attendee_ids" errors={p.errors} prefix={prefix} />
      {p.friends.map((f) => (
        <label>
          <input
            type="checkbox"
            name="attendee_ids"
            value={String(f.id)}
            checked={p.chosen.includes(String(f.id))}
          />
          <span safe>{`${f.display_name} (@${f.username})`}</span>
        </label>
      ))}
      <label>
        <input type="checkbox" name="split_payment" value="true" checked={p.splitPayment} />
        Each pays their own ticket
      </label>
    </fieldset>
  )
}

export interface SeatView {
  id: number
  section_id: number
  row: string
  number: number
  status: SeatStatus
}

/** Above this many seats a section offers "best N together" only: thousands of checkboxes help nobody. */
export const MAX_SEATS_SHOWN = 600

const SEAT_WORDS: Record<SeatStatus, string> = {
  available: 'available',
  held: 'held by others',
  sold: 'sold',
}

/** The short visible word beside an unavailable seat's number ("A10 sold"). */
const SEAT_MARKS: Record<Exclude<SeatStatus, 'available'>, string> = { held: 'held', sold: 'sold' }

function SeatRows(p: {
  section: SectionT
  seats: SeatView[]
  currency: string
  chosen: string[]
  errors?: FormErrors
}): JSX.Element {
  const rows = new Map<string, SeatView[]>()
  for (const seat of p.seats) rows.set(seat.row, [...(rows.get(seat.row) ?? []), seat])
  const price = money(p.section.price_cents, p.currency)
  return (
    <fieldset
      class="seat-map"
      data-section={String(p.section.id)}
      aria-describedby={describedBy('seat_ids', p.errors)}
    >
      <legend safe>{`Pick seats in ${p.section.name}`}</legend>
      {[...rows].map(([row, seats]) => (
        <fieldset>
          <legend safe>{`Row ${row}`}</legend>
          <div class="seats">
            {seats.map((seat) => (
              <label>
                <input
                  type="checkbox"
                  name="seat_ids"
                  value={String(seat.id)}
                  disabled={seat.status !== 'available'}
                  checked={p.chosen.includes(String(seat.id))}
                  aria-label={`Row ${seat.row}, seat ${seat.number}, ${SEAT_WORDS[seat.status]}, ${price}`}
                />
                {/* The state in words as well as the faded box (the accessible name already says it). */}
                <span aria-hidden="true" safe>{`${seat.row}${seat.number}`}</span>
                {seat.status === 'available' ? (
                  ''
                ) : (
                  <small class="seat-state" aria-hidden="true" safe>
                    {SEAT_MARKS[seat.status]}
                  </small>
                )}
              </label>
            ))}
          </div>
        </fieldset>
      ))}
    </fieldset>
  )
}

export function ReserveForm(p: {
  event: EventT
  csrf: string | null
  seats: SeatView[]
  friends: { id: number; username: string; display_name: string }[]
  state?: ReserveFormState
  /**
   * For a visitor who is not logged in: the same choices, sent by GET to `/events/{id}/reserve`, which keeps them
   * through the login and fills them in again (nothing is held before the buyer presses Reserve, logged in).
   */
  guest?: boolean
}): JSX.Element {
  const e = p.event
  const onSale = e.sections.filter((s) => s.available > 0)
  const v = p.state?.values
  const errors = p.state?.errors
  const chosenSection = v?.section_id ?? String(onSale[0]?.id ?? '')
  return (
    <form method={p.guest ? 'get' : 'post'} action={`/events/${e.id}/reserve`} class="reserve-form">
      {p.guest ? '' : <CsrfField token={p.csrf} />}
      <FormError message={errors?.form} />
      <fieldset id="f-section_id" aria-describedby={describedBy('section_id', errors)}>
        <legend>Section</legend>
        {e.sections.map((s) => {
          const availability = sectionAvailability(s)
          return (
            <label>
              <input
                type="radio"
                name="section_id"
                value={String(s.id)}
                checked={String(s.id) === chosenSection}
                disabled={s.available === 0}
                required
              />
              <span safe>{`${s.name} · ${price(s.price_cents, e.currency)} · `}</span>
              <span data-availability={String(s.id)} data-few={String(fewLeft(s))} safe>
                {availability.text}
              </span>
            </label>
          )
        })}
        <FieldError name="section_id" errors={errors} />
      </fieldset>
      <label for="f-quantity">
        Number of tickets
        <input
          id="f-quantity"
          type="number"
          name="quantity"
          min="1"
          max={String(e.max_tickets_per_user ?? 100)}
          value={attr(v?.quantity ?? '1')}
          inputmode="numeric"
          aria-invalid={errors?.fields.quantity ? 'true' : undefined}
          aria-describedby={['f-quantity-hint', describedBy('quantity', errors)].filter(Boolean).join(' ')}
        />
        <small id="f-quantity-hint">
          You and each friend coming with you count one. For seated sections, leave the seats unticked to get
          the best seats available.
        </small>
        <FieldError name="quantity" errors={errors} />
      </label>
      {e.sections.some((s) => s.kind === 'seated') ? (
        <label>
          <input
            type="checkbox"
            name="together"
            value="true"
            checked={v ? v.together : true}
            aria-describedby={describedBy('together', errors)}
          />
          Seats together (best row first)
          <FieldError name="together" errors={errors} />
        </label>
      ) : (
        ''
      )}
      <FieldError name="seat_ids" errors={errors} />
      {e.sections
        .filter((s) => s.kind === 'seated')
        .map((s) => {
          const seats = p.seats.filter((seat) => seat.section_id === s.id)
          return seats.length > 0 && seats.length <= MAX_SEATS_SHOWN ? (
            <SeatRows
              section={s}
              seats={seats}
              currency={e.currency}
              chosen={v?.seat_ids ?? []}
              errors={errors}
            />
          ) : (
            ''
          )
        })}
      <CompanyFields
        friends={p.friends}
        chosen={v?.attendee_ids ?? []}
        splitPayment={v?.split_payment ?? false}
        errors={errors}
      />
      <label for="f-voucher_code">
        Voucher code (optional)
        <input
          id="f-voucher_code"
          type="text"
          name="voucher_code"
          maxlength="64"
          autocomplete="off"
          value={attr(v?.voucher_code ?? '')}
          aria-invalid={errors?.fields.voucher_code ? 'true' : undefined}
          aria-describedby={describedBy('voucher_code', errors)}
        />
        <FieldError name="voucher_code" errors={errors} />
      </label>
      {p.guest ? (
        <p id="f-guest-hint">
          Log in or create an account to reserve: what you chose here is filled in again, and nothing is held
          until you press Reserve.
        </p>
      ) : (
        ''
      )}
      <button
        type="submit"
        disabled={onSale.length === 0}
        aria-describedby={p.guest && onSale.length > 0 ? 'f-guest-hint' : undefined}
      >
        {onSale.length === 0 ? 'Sold out' : p.guest ? 'Log in to reserve' : 'Reserve'}
      </button>
    </form>
  )
}
