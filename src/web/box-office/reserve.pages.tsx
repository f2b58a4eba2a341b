// The event page's reservation form, posted: the form fields become the same input the JSON route takes, the
// box office's reserve() decides, and a refusal shows the event page again with the message beside its field
// and everything the buyer chose still chosen. Success goes to the checkout (303).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import { ReserveBody, type ReserveInput } from '../../modules/box-office/box-office.schemas.js'
import { reserve } from '../../modules/box-office/reserve.service.js'
import { getEvent } from '../../modules/events/events.service.js'
import { seatMap } from '../../modules/events/seats.service.js'
import { showEventPage } from '../events/events.pages.js'
import type { ReserveValues } from '../events/reserve-form.js'
import {
  FORM_INVALID,
  flash,
  formErrorsOf,
  formList,
  parseForm,
  requireUser,
  seeOther,
  wholeNumberOf,
} from '../page.js'

/** Which field a refusal belongs beside (the rest show above the form). */
const FIELD_OF_CODE: Record<string, string> = {
  SOLD_OUT: 'section_id',
  SEAT_TAKEN: 'seat_ids',
  NO_ADJACENT_SEATS: 'together',
  TICKET_LIMIT_EXCEEDED: 'quantity',
  NOT_FRIENDS: 'attendee_ids',
  VOUCHER_INVALID: 'voucher_code',
  VOUCHER_EXHAUSTED: 'voucher_code',
}

/** The posted form as typed (to show it again) and as the service's input. */
function readForm(body: Record<string, unknown>): ReserveValues {
  return {
    section_id: typeof body.section_id === 'string' ? body.section_id : undefined,
    quantity: typeof body.quantity === 'string' ? body.quantity : undefined,
    seat_ids: formList(body.seat_ids),
    together: body.together === 'true',
    attendee_ids: formList(body.attendee_ids),
    split_payment: body.split_payment === 'true',
    voucher_code: typeof body.voucher_code === 'string' ? body.voucher_code.trim() : undefined,
  }
}

export async function reservePages(app: FastifyInstance) {
  const { ctx } = app

  app.post(
    '/events/:id/reserve',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      const values = readForm((req.body ?? {}) as Record<string, unknown>)
      const event = await getEvent(ctx, user, id)
      const sectionId = wholeNumberOf(values.section_id)
      const section = event.sections.find((s) => s.id === sectionId)
      const seatIds = values.seat_ids.map(wholeNumberOf)
      const fail = (fields: Record<string, string>) =>
        showEventPage(app, req, reply, id, { values, errors: { fields } }, FORM_INVALID)
      if (!section) return fail({ section_id: 'Choose a section' })
      if (seatIds.some((s) => s === undefined)) return fail({ seat_ids: 'Choose seats from the map' })
      const picked = seatIds as number[]
      if (picked.length > 0) {
        // Without scripts nothing unticks the seats of another section: a ticked seat outside the chosen
        // section is a choice for the buyer to make, not one to guess.
        const sectionOf = new Map((await seatMap(ctx, user, id)).map((s) => [s.id, s.section_id]))
        if (picked.some((s) => !sectionOf.has(s))) return fail({ seat_ids: 'Choose seats from the map' })
        if (picked.some((s) => sectionOf.get(s) !== section.id))
          return fail({
            seat_ids:
              section.kind === 'seated'
                ? `Pick seats in ${section.name} only, or choose the section of your seats`
                : `${section.name} has no numbered seats: untick the seats, or choose their section`,
          })
      }
      const attendeeIds = values.attendee_ids.map(wholeNumberOf)
      // The list offers friends only: an id that is no number, or the buyer's own, was typed in by hand.
      if (attendeeIds.some((a) => a === undefined || a === user.id))
        return fail({ attendee_ids: 'Choose friends from the list' })
      const quantity = wholeNumberOf(values.quantity)
      if (values.quantity && quantity === undefined) return fail({ quantity: 'Enter a whole number' })
      if ((values.voucher_code?.length ?? 0) > 64)
        return fail({ voucher_code: 'A voucher code has at most 64 characters' })
      // The ticked seats (all in this section) decide the quantity.
      const input: ReserveInput = {
        section_id: section.id,
        ...(picked.length > 0 ? { seat_ids: picked } : { quantity: quantity ?? 1 }),
        ...(section.kind === 'seated' && picked.length === 0 ? { together: values.together } : {}),
        ...(attendeeIds.length > 0 ? { attendee_ids: attendeeIds as number[] } : {}),
        split_payment: values.split_payment,
        ...(values.voucher_code ? { voucher_code: values.voucher_code } : {}),
      }
      // The JSON route's checks, in the form's words: a hand-edited quantity of a billion is the field's error.
      const checked = parseForm<ReserveInput>(ReserveBody, input)
      if (!checked.ok) return fail(checked.errors.fields)
      try {
        const reservation = await reserve(ctx, { actor: user }, id, input)
        flash(reply, 'success', 'Your tickets are held for you: pay to confirm them.')
        return seeOther(reply, `/reservations/${reservation.id}`)
      } catch (err) {
        const errors = formErrorsOf(err, FIELD_OF_CODE)
        return showEventPage(app, req, reply, id, { values, errors }, (err as AppError).status)
      }
    },
  )
}
