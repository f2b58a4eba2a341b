// Reserving tickets: the one transaction that checks the event, the limits and the capacity, picks seats,
// and writes the reservation, its tickets and its invoices.
import { eq, inArray, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { uniqueViolation } from '../../db/errors.js'
import { events, invoices, reservations, tickets, users } from '../../db/schema/index.js'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import type { IdempotencyClaim } from '../../lib/idempotency.js'
import { queueInvoiceIssued } from '../../mail/queue.js'
import { type InvoiceDraft, issueInvoices, loadInvoices, toInvoice } from '../invoices/invoices.queries.js'
import { loadTickets, toTicket } from '../tickets/tickets.queries.js'
import { assertFriends, enforceTicketLimit, eventOnSale, isStaff } from './reservations.access.js'
import { claimCapacity, soldOut, unguarded } from './reservations.capacity.js'
import { expireSectionHolds } from './reservations.expiry.js'
import type { ReservationT, ReserveInput } from './reservations.schemas.js'
import { bestAdjacentBlock, bestSeats, exactSeats, type SeatState, seatStates } from './reservations.seats.js'

interface Plan {
  quantity: number
  /** Holder of each ticket, in seat order: the booker first, then the attendees. */
  holders: number[]
  attendees: number[]
}

/** Checks that quantity, seat_ids and attendee_ids agree; 400 when they do not. */
function planOf(actor: Actor, input: ReserveInput): Plan {
  const attendees = input.attendee_ids ?? []
  if (attendees.includes(actor.id)) {
    throw invalid('body.attendee_ids', 'must not include yourself: you hold the first ticket')
  }
  const counted = input.seat_ids?.length ?? input.quantity ?? 1 + attendees.length
  if (input.seat_ids && input.quantity !== undefined && input.quantity !== input.seat_ids.length) {
    throw invalid('body.quantity', 'must equal the number of seat_ids')
  }
  if (attendees.length > 0 && counted !== 1 + attendees.length) {
    throw invalid(
      'body.attendee_ids',
      'you hold one ticket and each attendee one: quantity must be 1 + attendees',
    )
  }
  const holders = Array.from({ length: counted }, (_, i) =>
    i === 0 ? actor.id : (attendees[i - 1] ?? actor.id),
  )
  return { quantity: counted, holders, attendees }
}

export async function reserve(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  input: ReserveInput,
  idempotency: IdempotencyClaim | null = null,
): Promise<ReservationT> {
  const plan = planOf(actor, input)
  try {
    return await ctx.db.transaction(async (tx) => {
      const { event, section } = await eventOnSale(tx, actor, eventId, input.section_id)
      if (!section) throw notFound('Section')
      if (input.seat_ids && section.kind !== 'seated') {
        throw invalid('body.seat_ids', 'this is a general-admission section: send quantity instead')
      }
      await assertFriends(tx, actor.id, plan.attendees)

      const adding = new Map<number, number>([[actor.id, plan.quantity]])
      for (const a of plan.attendees) adding.set(a, 1)
      await enforceTicketLimit(tx, event, adding)

      // Lapsed holds first, so that they never count against the capacity being claimed.
      const released = await expireSectionHolds(ctx, tx, section.id)
      // Fast refusal from the section row read above (not a guard: the claim below is). Once a section is
      // full, the crowd still arriving is turned away without writing anything.
      if (
        released === 0 &&
        !unguarded(ctx) &&
        section.held + section.sold + plan.quantity > section.capacity
      ) {
        throw soldOut()
      }
      // Claiming capacity locks the section row until commit, so every reservation of the section queues
      // there. A seated section claims first: the seats are then read and picked under that lock, and no one
      // else can pick them meanwhile. A general section has nothing to pick, so it writes everything first
      // and claims last: the lock is then held only for the claim and the commit, not for ten statements.
      // (The test-only unguarded control counts first, then writes: the naive order it stands for.)
      const seated = section.kind === 'seated'
      const claimFirst = seated || unguarded(ctx)
      if (claimFirst) await claimCapacity(ctx, tx, section, plan.quantity)
      const chosen = seated ? await chooseSeats(tx, section, input, plan.quantity) : undefined

      // The database's clock, the one every expiry check (lazy, sweep, payment) compares against.
      const [reservation] = await tx
        .insert(reservations)
        .values({
          eventId: event.id,
          bookerId: actor.id,
          expiresAt: sql`now() + make_interval(secs => ${ctx.config.RESERVATION_TTL})`,
        })
        .returning()
      const expiresAt = reservation!.expiresAt
      const created = await tx
        .insert(tickets)
        .values(
          plan.holders.map((holderId, i) => ({
            reservationId: reservation!.id,
            eventId: event.id,
            sectionId: section.id,
            seatId: chosen?.[i]?.id ?? null,
            holderId,
            bookerId: actor.id,
            priceCents: section.priceCents,
          })),
        )
        .returning()
      created.sort((a, b) => a.id - b.id)

      // Prices come from the section row read in this transaction, never from the request.
      const seatOf = new Map(chosen?.map((s) => [s.id, s]))
      const lineOf = (t: (typeof created)[number]) => {
        const seat = t.seatId ? seatOf.get(t.seatId) : undefined
        const where = seat ? `, row ${seat.rowLabel} seat ${seat.number}` : ''
        return {
          ticketId: t.id,
          description: `${event.title}: ${section.name}${where}`,
          amountCents: section.priceCents,
        }
      }
      const drafts: InvoiceDraft[] = input.split_payment
        ? [...new Set(plan.holders)].map((payerId) => ({
            payerId,
            lines: created.filter((t) => t.holderId === payerId).map(lineOf),
          }))
        : [{ payerId: actor.id, lines: created.map(lineOf) }]
      const issued = await issueInvoices(tx, {
        reservationId: reservation!.id,
        eventId: event.id,
        currency: event.currency,
        dueAt: expiresAt,
        drafts,
      })
      for (const invoice of issued.invoices) {
        await queueInvoiceIssued(tx, ctx, {
          // Written from the drafts just above: never null here.
          userId: invoice.payerId!,
          invoiceId: invoice.id,
          number: invoice.number,
          eventTitle: event.title,
          currency: invoice.currency,
          amountCents: invoice.amountCents,
          dueAt: expiresAt.toISOString(),
          lines: issued.lines
            .filter((l) => l.invoiceId === invoice.id)
            .map((l) => ({ description: l.description, amountCents: l.amountCents })),
        })
      }

      // The answer is built from the rows just written (one more query, for the people's profiles):
      // every statement here runs while other buyers may be queueing for this section.
      const people = await tx
        .select()
        .from(users)
        .where(inArray(users.id, [actor.id, ...plan.attendees]))
      const personOf = (id: number | null) => people.find((p) => p.id === id) ?? null
      const body: ReservationT = {
        id: reservation!.id,
        event_id: event.id,
        expires_at: expiresAt.toISOString(),
        created_at: reservation!.createdAt.toISOString(),
        tickets: created.map((t) =>
          toTicket(ctx.config, {
            ticket: t,
            status: 'held',
            expiresAt,
            event: { id: event.id, title: event.title, startsAt: event.startsAt, currency: event.currency },
            sectionName: section.name,
            seat: t.seatId ? seatView(seatOf.get(t.seatId)!) : null,
            holder: personOf(t.holderId),
            booker: personOf(t.bookerId),
            invoiceId: issued.lines.find((l) => l.ticketId === t.id)!.invoiceId,
          }),
        ),
        invoices: issued.invoices.map((i) =>
          toInvoice(ctx.config, { invoice: i, status: 'open', payer: personOf(i.payerId) }, issued.lines),
        ),
      }
      await idempotency?.complete(tx, 201, body)
      if (!claimFirst) await claimCapacity(ctx, tx, section, plan.quantity)
      return body
    })
  } catch (err) {
    // The partial unique index on live seats is the backstop behind the section lock.
    if (uniqueViolation(err) === 'tickets_live_seat_key') {
      throw new AppError('SEAT_TAKEN', 'One of these seats was taken meanwhile')
    }
    throw err
  }
}

const seatView = (s: SeatState) => ({ id: s.id, row: s.rowLabel, number: s.number })

async function chooseSeats(
  tx: Db,
  section: { id: number; seatsPerRow: number | null },
  input: ReserveInput,
  n: number,
): Promise<SeatState[]> {
  const all = await seatStates(tx, section.id)
  if (input.seat_ids) return exactSeats(all, input.seat_ids)
  const perRow = section.seatsPerRow ?? 0
  if (input.together) {
    const block = bestAdjacentBlock(all, n, perRow)
    if (!block) throw new AppError('NO_ADJACENT_SEATS', `No row has ${n} free seats side by side`)
    return block
  }
  const best = bestSeats(all, n, perRow)
  // Cannot happen while the counters agree with the tickets (the capacity claim succeeded); kept as a guard.
  if (!best) throw new AppError('SOLD_OUT', 'Not enough free seats left in this section')
  return best
}

/** The reservation with its tickets and invoices, as its booker sees it. */
export async function loadReservation(db: Db, ctx: Ctx, id: number): Promise<ReservationT> {
  const [r] = await db.select().from(reservations).where(eq(reservations.id, id))
  if (!r) throw notFound('Reservation')
  const ticketList = await loadTickets(db, ctx.config, eq(tickets.reservationId, id))
  const invoiceList = await loadInvoices(db, ctx.config, eq(invoices.reservationId, id), undefined, 'oldest')
  return {
    id: r.id,
    event_id: r.eventId,
    expires_at: r.expiresAt.toISOString(),
    created_at: r.createdAt.toISOString(),
    tickets: ticketList,
    invoices: invoiceList,
  }
}

/** A reservation for its booker, the event's organizer or an admin; 404 for anyone else. */
export async function getReservation(ctx: Ctx, actor: Actor, id: number): Promise<ReservationT> {
  const [row] = await ctx.db
    .select({ bookerId: reservations.bookerId, organizerId: events.organizerId })
    .from(reservations)
    .innerJoin(events, eq(events.id, reservations.eventId))
    .where(eq(reservations.id, id))
  if (!row || (row.bookerId !== actor.id && !isStaff(actor, row.organizerId))) throw notFound('Reservation')
  return loadReservation(ctx.db, ctx, id)
}
