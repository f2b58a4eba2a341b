// Checking tickets in at the door: a scanned code is verified against the event's key and its ticket checked
// in once, however many scanners read it at the same moment; the door's count and list; the event's public key.
import { and, count, desc, eq, isNotNull, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { seats, sections, tickets, users } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { guardDisabled } from '../../lib/guards.js'
import { type PageParams, toPage } from '../../lib/pagination.js'
import { profileColumns, toPublicUser } from '../users/users.schemas.js'
import { emitWebhookEvent } from '../webhooks/webhooks.emit.js'
import type { CheckInKeyT, CheckInListT, CheckInT } from './checkin.schemas.js'
import { eventForDoor } from './staff.service.js'
import { type CodeClaims, eventKey, publicJwk, readCode, signatureValid } from './ticket-code.js'

// How long the unguarded control waits between its read and its write, so concurrent scans all read first.
const UNGUARDED_PAUSE_SECONDS = 1

const notFound = () => new AppError('TICKET_NOT_FOUND', 'This code is not a valid ticket of this event')

const holder = alias(users, 'holder')

function checkInQuery(db: Db) {
  return db
    .select({
      id: tickets.id,
      checkedInAt: tickets.checkedInAt,
      sectionId: sections.id,
      sectionName: sections.name,
      seat: { id: seats.id, row: seats.rowLabel, number: seats.number },
      holder: profileColumns(holder),
    })
    .from(tickets)
    .innerJoin(sections, eq(sections.id, tickets.sectionId))
    .leftJoin(seats, eq(seats.id, tickets.seatId))
    .leftJoin(holder, eq(holder.id, tickets.holderId))
}

type CheckInRow = Awaited<ReturnType<ReturnType<typeof checkInQuery>['execute']>>[number]

function toCheckIn(ctx: Ctx, r: CheckInRow): CheckInT {
  return {
    ticket_id: r.id,
    holder: r.holder ? toPublicUser(ctx.config, r.holder) : null,
    section: { id: r.sectionId, name: r.sectionName },
    seat: r.seat ? { id: r.seat.id, row: r.seat.row, number: r.seat.number } : null,
    checked_in_at: r.checkedInAt!.toISOString(),
  }
}

/** The claims of a code this event signed; TICKET_NOT_FOUND for garbage, a forgery or another event's code. */
async function verifiedClaims(db: Db, eventId: number, code: string): Promise<CodeClaims> {
  const claims = readCode(code)
  if (!claims || claims.eventId !== eventId) throw notFound()
  if (!signatureValid(await eventKey(db, eventId), code)) throw notFound()
  return claims
}

/** Marks the ticket checked in; true when this call did it. The guarded form is one conditional update. */
async function markCheckedIn(ctx: Ctx, tx: Db, actor: Actor, claims: CodeClaims): Promise<boolean> {
  const current = and(
    eq(tickets.id, claims.ticketId),
    eq(tickets.eventId, claims.eventId),
    eq(tickets.codeVersion, claims.version),
    eq(tickets.status, 'confirmed'),
  )
  if (guardDisabled(ctx.config, 'check-in')) {
    const [row] = await tx.select({ at: tickets.checkedInAt }).from(tickets).where(current)
    if (!row || row.at !== null) return false
    await tx.execute(sql`select pg_sleep(${UNGUARDED_PAUSE_SECONDS})`)
    await tx.update(tickets).set({ checkedInAt: new Date(), checkedInBy: actor.id }).where(current)
    return true
  }
  const marked = await tx
    .update(tickets)
    .set({ checkedInAt: sql`now()`, checkedInBy: actor.id })
    .where(and(current, sql`${tickets.checkedInAt} is null`))
    .returning({ id: tickets.id })
  return marked.length > 0
}

/**
 * Checks a ticket in by its code. 404 TICKET_NOT_FOUND for an unknown, forged, stale or other event's code;
 * 409 TICKET_NOT_CONFIRMED when the ticket is not (or no longer) confirmed; 409 ALREADY_CHECKED_IN, with the
 * first check-in's time, when it was checked in before.
 */
export async function checkIn(ctx: Ctx, actor: Actor, eventId: number, code: string): Promise<CheckInT> {
  await eventForDoor(ctx.db, actor, eventId)
  const claims = await verifiedClaims(ctx.db, eventId, code)
  return ctx.db.transaction(async (tx) => {
    if (await markCheckedIn(ctx, tx, actor, claims)) {
      const [row] = await checkInQuery(tx).where(eq(tickets.id, claims.ticketId))
      const checkedIn = toCheckIn(ctx, row!)
      // The API's check-in names no event (its route does): the webhook's receiver, told of several, needs it.
      await emitWebhookEvent(ctx, tx, {
        eventId,
        type: 'check_in.created',
        data: { event_id: eventId, ...checkedIn },
      })
      return checkedIn
    }
    const [ticket] = await tx
      .select({
        eventId: tickets.eventId,
        version: tickets.codeVersion,
        status: tickets.status,
        at: tickets.checkedInAt,
      })
      .from(tickets)
      .where(eq(tickets.id, claims.ticketId))
    if (!ticket || ticket.eventId !== eventId || ticket.version !== claims.version) throw notFound()
    if (ticket.status !== 'confirmed') {
      throw new AppError('TICKET_NOT_CONFIRMED', `This ticket is ${ticket.status}, not confirmed`)
    }
    const at = ticket.at!.toISOString()
    throw new AppError('ALREADY_CHECKED_IN', `This ticket was checked in at ${at}`, {
      extensions: { checked_in_at: at, ticket_id: claims.ticketId },
    })
  })
}

/**
 * The check-in of one ticket of the event (whose holder, which seat, when), for whoever works its door: what the
 * door shows beside ALREADY_CHECKED_IN. Null when that ticket of the event was not checked in.
 */
export async function checkInOfTicket(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  ticketId: number,
): Promise<CheckInT | null> {
  await eventForDoor(ctx.db, actor, eventId)
  const [row] = await checkInQuery(ctx.db).where(
    and(eq(tickets.id, ticketId), eq(tickets.eventId, eventId), isNotNull(tickets.checkedInAt)),
  )
  return row ? toCheckIn(ctx, row) : null
}

/** The door's count (checked in of confirmed) and a page of check-ins, latest first. */
export async function listCheckIns(
  ctx: Ctx,
  actor: Actor,
  eventId: number,
  page: PageParams,
): Promise<CheckInListT> {
  await eventForDoor(ctx.db, actor, eventId)
  const { rows, total } = await preparedPage(ctx.db, 'check_ins', page, { event: eventId }, (d) => {
    const confirmed = and(eq(tickets.eventId, sql.placeholder('event')), eq(tickets.status, 'confirmed'))
    return {
      rows: checkInQuery(d)
        .where(and(confirmed, isNotNull(tickets.checkedInAt)))
        .orderBy(desc(tickets.checkedInAt), desc(tickets.id))
        .$dynamic(),
      total: d
        .select({
          checkedIn: sql<number>`count(*) filter (where ${tickets.checkedInAt} is not null)::int`,
          confirmed: count(),
        })
        .from(tickets)
        .where(confirmed)
        .$dynamic(),
    }
  })
  const [counts] = total
  const checkedIn = counts?.checkedIn ?? 0
  return {
    checked_in: checkedIn,
    confirmed: counts?.confirmed ?? 0,
    ...toPage(
      rows.map((r) => toCheckIn(ctx, r)),
      checkedIn,
      page,
    ),
  }
}

/** The event's public key, for scanners that verify codes offline. */
export async function checkInKey(ctx: Ctx, actor: Actor, eventId: number): Promise<CheckInKeyT> {
  await eventForDoor(ctx.db, actor, eventId)
  const key = await eventKey(ctx.db, eventId)
  return {
    event_id: eventId,
    algorithm: 'Ed25519',
    public_key_pem: key.publicKeyPem,
    public_key_jwk: publicJwk(key),
    code_format:
      'base64url(JSON {"t": ticket id, "e": event id, "v": version}) "." base64url(Ed25519 signature of the first part)',
  }
}
