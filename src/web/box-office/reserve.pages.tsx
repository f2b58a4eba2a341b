// The event page's reservation form, posted: the form fields become the same input the JSON route takes, the
// box office's reserve() decides, and a refusal shows the event page again with the message beside its field
// and everything the buyer chose still chosen. Success goes to the checkout (303).
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import {
  MAX_TICKETS_PER_RESERVATION,
  ReserveBody,
  type ReserveInput,
} from '../../modules/box-office/box-office.schemas.js'
import { reserve } from '../../modules/box-office/reserve.service.js'
import { getEvent } from '../../modules/events/events.service.js'
import { seatMap } from '../../modules/events/seats.service.js'
import { showEventPage } from '../events/events.pages.js'
import { choicePath, readReserveValues } from '../events/reserve-form.js'
import { plural } from '../format.js'
import {
  FORM_INVALID,
  flash,
  formErrorsOf,
  loginPath,
  NO_ERRORS,
  parseForm,
  requireUser,
  seeOther,
  wholeNumberOf,
  withErrors,
} from '../page.js'
import { notTheParty, partyQuantity } from './party.js'

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

export async function reservePages(app: FastifyInstance) {
  const { ctx } = app

  // A guest's choice (the event page's form, sent by GET before logging in): the login returns to the event page
  // with it filled in. Nothing is held: the buyer, logged in, presses Reserve.
  app.get(
    '/events/:id/reserve',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const { id } = req.params as { id: number }
      await getEvent(ctx, req.webUser, id)
      const back = choicePath(id, readReserveValues((req.query ?? {}) as Record<string, unknown>))
      return seeOther(reply, req.webUser ? back : loginPath(back))
    },
  )

  app.post(
    '/events/:id/reserve',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      const values = readReserveValues((req.body ?? {}) as Record<string, unknown>)
      const event = await getEvent(ctx, user, id)
      const sectionId = wholeNumberOf(values.section_id)
      const section = event.sections.find((s) => s.id === sectionId)
      // Every field's own check, then the JSON route's schema on what they built: a form with several wrong
      // fields says so beside each of them at once.
      const own: Record<string, string> = {}
      if (!section) own.section_id = 'Choose a section'
      const seatIds = values.seat_ids.map(wholeNumberOf)
      const picked = seatIds.filter((s) => s !== undefined)
      if (picked.length < seatIds.length) own.seat_ids = 'Choose seats from the map'
      else if (picked.length > 0) {
        // Without scripts nothing unticks the seats of another section: a ticked seat outside the chosen
        // section is a choice for the buyer to make, not one to guess.
        const sectionOf = new Map((await seatMap(ctx, user, id)).map((s) => [s.id, s.section_id]))
        if (picked.some((s) => !sectionOf.has(s))) own.seat_ids = 'Choose seats from the map'
        else if (section && picked.some((s) => sectionOf.get(s) !== section.id))
          own.seat_ids =
            section.kind === 'seated'
              ? `Pick seats in ${section.name} only, or choose the section of your seats`
              : `${section.name} has no numbered seats: untick the seats, or choose their section`
      }
      // The list offers friends only: an id that is no number, or the buyer's own, was typed in by hand.
      const attendeeIds = values.attendee_ids.map(wholeNumberOf)
      if (attendeeIds.some((a) => a === undefined || a === user.id))
        own.attendee_ids = 'Choose friends from the list'
      const friends = attendeeIds.filter((a) => a !== undefined)
      const typed = wholeNumberOf(values.quantity)
      // Digits too many to read are a number out of range, as the schema says of one it can read.
      if (values.quantity && typed === undefined)
        own.quantity = /^\d+$/.test(values.quantity)
          ? `Enter ${MAX_TICKETS_PER_RESERVATION} or less`
          : 'Enter a whole number'
      // Ticked friends with the number left at 1 are that many more tickets; another number, or other seats, is
      // the buyer's to mend (they may have meant someone else too).
      const quantity = partyQuantity(friends.length, typed)
      const party = 1 + friends.length
      if (friends.length > 0 && picked.length > 0 && picked.length !== party && !own.seat_ids)
        own.seat_ids = notTheParty(friends.length, 'seats')
      else if (friends.length > 0 && picked.length === 0 && quantity !== undefined && quantity !== party)
        own.quantity = notTheParty(friends.length, 'tickets')
      // A number changed from 1 and other seats ticked: the buyer meant one of the two, and only they know which.
      else if (
        friends.length === 0 &&
        picked.length > 0 &&
        typed !== undefined &&
        typed > 1 &&
        typed !== picked.length
      )
        own.quantity = `You asked for ${typed} tickets and ticked ${plural(picked.length, 'seat')}: tick ${typed}, or untick them all and we choose`
      if ((values.voucher_code?.length ?? 0) > 64)
        own.voucher_code = 'A voucher code has at most 64 characters'
      // The ticked seats (all in this section) decide the quantity.
      const input: ReserveInput = {
        section_id: section?.id ?? 0,
        ...(picked.length > 0 ? { seat_ids: picked } : { quantity: quantity ?? 1 }),
        ...(section?.kind === 'seated' && picked.length === 0 ? { together: values.together } : {}),
        ...(friends.length > 0 ? { attendee_ids: friends } : {}),
        split_payment: values.split_payment,
        ...(values.voucher_code ? { voucher_code: values.voucher_code } : {}),
      }
      // The JSON route's checks, in the form's words: a hand-edited quantity of a billion is the field's error.
      const checked = parseForm<ReserveInput>(ReserveBody, input)
      const errors = withErrors(checked.ok ? NO_ERRORS : checked.errors, own)
      if (Object.keys(errors.fields).length > 0) {
        return showEventPage(app, req, reply, id, { reserve: { values, errors } }, FORM_INVALID)
      }
      try {
        const reservation = await reserve(ctx, { actor: user }, id, input)
        flash(reply, 'success', 'Your tickets are held for you: pay to confirm them.')
        return seeOther(reply, `/reservations/${reservation.id}`)
      } catch (err) {
        const errors = formErrorsOf(err, FIELD_OF_CODE)
        return showEventPage(app, req, reply, id, { reserve: { values, errors } }, (err as AppError).status)
      }
    },
  )
}
