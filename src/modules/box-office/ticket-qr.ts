// A ticket's code as a QR image: SVG for the ticket page, PNG for the receipt e-mail.

import { and, eq } from 'drizzle-orm'
import QRCode from 'qrcode'
import type { Actor, Ctx } from '../../context.js'
import { tickets } from '../../db/schema/index.js'
import { AppError, notFound } from '../../lib/errors.js'
import { codesFor } from './ticket-code.js'

// Medium error correction survives a scuffed phone screen; a margin of 2 modules is enough on a white page.
const QR_OPTIONS = { errorCorrectionLevel: 'M', margin: 2 } as const

/**
 * The QR image of a confirmed ticket `actor` holds. A ticket they hold that is not confirmed (held and not paid
 * yet, given back, lapsed) is 409 TICKET_NOT_CONFIRMED: it has no entry code. 404 for anyone else's ticket.
 */
export async function ticketQrSvg(ctx: Ctx, actor: Actor, ticketId: number): Promise<string> {
  const code = (await codesFor(ctx.db, actor.id, [ticketId])).get(ticketId)
  if (!code) {
    const [own] = await ctx.db
      .select({ id: tickets.id })
      .from(tickets)
      .where(and(eq(tickets.id, ticketId), eq(tickets.holderId, actor.id)))
    if (own) {
      throw new AppError(
        'TICKET_NOT_CONFIRMED',
        'This ticket is not confirmed: its entry code comes once it is paid',
      )
    }
    throw notFound('Ticket')
  }
  return QRCode.toString(code, { ...QR_OPTIONS, type: 'svg' })
}

/** A code as a PNG, for e-mail clients that do not show SVG. */
export function codePng(code: string): Promise<Buffer> {
  return QRCode.toBuffer(code, { ...QR_OPTIONS, type: 'png', width: 240 })
}
