// The waiting-list block of an event page: a member's live entries (place in the queue, or the offer to pay) with
// Leave, and the form to join, which comes back with the member's choices and its refusal beside its fields.

import type { WaitlistEntryT } from '../../modules/box-office/waitlist.schemas.js'
import type { EventT } from '../../modules/events/events.schemas.js'
import { attr } from '../format.js'
import { CsrfField, FormError } from '../layout.js'
import type { FormErrors } from '../page.js'
import { CompanyFields, describedBy, FieldError } from './reserve-form.js'

/** What the member sent to join, kept when the form comes back refused. */
export interface WaitlistValues {
  section_id?: string
  quantity?: string
  together: boolean
  attendee_ids: string[]
  split_payment: boolean
}

/** A refused join: the values as sent and the errors tied to their fields (`section_id`, `quantity`, `attendee_ids`). */
export interface WaitlistFormState {
  values: WaitlistValues
  errors: FormErrors
}

/**
 * The sections a member can join the waiting list of: sold out, and not already waited in. A section with places
 * left is reserved instead (joining it is 409 SEATS_AVAILABLE), so the form never offers it.
 */
export function joinableSections(event: EventT, entries: WaitlistEntryT[]): EventT['sections'] {
  const waitingIn = new Set(entries.map((x) => x.section_id))
  return event.sections.filter((s) => s.available === 0 && !waitingIn.has(s.id))
}

/** The Leave button of one entry. */
export function LeaveForm(p: {
  entry: WaitlistEntryT
  csrf: string | null
  next: string
  label: string
}): JSX.Element {
  return (
    <form method="post" action={`/waitlist/${p.entry.id}/leave`} class="inline">
      <CsrfField token={p.csrf} />
      <input type="hidden" name="next" value={attr(p.next)} />
      <button type="submit" class="secondary" aria-label={p.label}>
        Leave
      </button>
    </form>
  )
}

/**
 * The event page's waiting-list block, for a signed-in member while the event is on sale and a section is sold
 * out (or the member just tried to join): their live entries with Leave, and a form to join.
 */
export function WaitlistBlock(p: {
  event: EventT
  csrf: string | null
  entries: WaitlistEntryT[]
  friends: { id: number; username: string; display_name: string }[]
  form?: WaitlistFormState
}): JSX.Element {
  const e = p.event
  const sectionName = (id: number) => e.sections.find((s) => s.id === id)?.name ?? 'A section'
  const open = joinableSections(e, p.entries)
  const v = p.form?.values
  const errors = p.form?.errors
  const chosen = open.find((s) => String(s.id) === v?.section_id) ?? open[0]
  return (
    <section aria-labelledby="waitlist-heading" id="waitlist">
      <h2 id="waitlist-heading">Waiting list</h2>
      {/* Above the entries: a refusal may come when no section is left to join (each waited in already, or on sale
          again), and then a field's reason has no field to sit beside. */}
      <FormError message={errors?.form ?? (chosen ? undefined : Object.values(errors?.fields ?? {})[0])} />
      {p.entries.length > 0 ? (
        <ul>
          {p.entries.map((x) => (
            <li>
              {x.status === 'offered' ? (
                <>
                  <span safe>{`${sectionName(x.section_id)}: tickets are held for you`}</span>{' '}
                  <a href={`/reservations/${x.reservation_id}`}>Pay now</a>
                </>
              ) : (
                <span
                  safe
                >{`${sectionName(x.section_id)}: you are number ${x.position} in the queue for ${x.quantity} ticket${x.quantity === 1 ? '' : 's'}`}</span>
              )}{' '}
              <LeaveForm
                entry={x}
                csrf={p.csrf}
                next={`/events/${e.id}`}
                label={`Leave the waiting list for ${sectionName(x.section_id)}`}
              />
            </li>
          ))}
        </ul>
      ) : (
        ''
      )}
      {chosen ? (
        // The fragment brings a refusal's page (the event page again) to this block, where its reason is.
        <form method="post" action={`/events/${e.id}/waitlist#waitlist`}>
          <CsrfField token={p.csrf} />
          <p>
            Sold out? Join the waiting list: when places come back, they are held for you and you get an
            e-mail.
          </p>
          <label for="w-section_id">
            Section
            <select
              id="w-section_id"
              name="section_id"
              required
              aria-invalid={errors?.fields.section_id ? 'true' : undefined}
              aria-describedby={describedBy('section_id', errors, 'w')}
            >
              {open.map((s) => (
                <option value={String(s.id)} selected={s.id === chosen.id} safe>
                  {`${s.name} (sold out)`}
                </option>
              ))}
            </select>
            <FieldError name="section_id" errors={errors} prefix="w" />
          </label>
          <label for="w-quantity">
            Number of tickets
            <input
              id="w-quantity"
              type="number"
              name="quantity"
              min="1"
              max="10"
              value={attr(v?.quantity ?? '1')}
              inputmode="numeric"
              required
              aria-invalid={errors?.fields.quantity ? 'true' : undefined}
              aria-describedby={describedBy('quantity', errors, 'w')}
            />
            <FieldError name="quantity" errors={errors} prefix="w" />
          </label>
          {e.sections.some((s) => s.kind === 'seated') ? (
            <label>
              <input type="checkbox" name="together" value="true" checked={v ? v.together : true} />
              Seats together
            </label>
          ) : (
            ''
          )}
          <CompanyFields
            friends={p.friends}
            chosen={v?.attendee_ids ?? []}
            splitPayment={v?.split_payment ?? false}
            errors={errors}
            prefix="w"
          />
          <button type="submit">Join the waiting list</button>
        </form>
      ) : (
        ''
      )}
    </section>
  )
}
