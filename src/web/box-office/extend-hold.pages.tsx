// Extending a hold from the checkout (WCAG 2.2.1, timing adjustable): a one-button form, shown while the hold is
// below its cap, that posts to the same service as POST /api/v1/reservations/{id}/extend and comes back to the
// checkout with a flash. The countdown script points to it near the end.
import type { FastifyInstance } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../config.js'
import { AppError } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import type { ReservationT } from '../../modules/box-office/box-office.schemas.js'
import { belowHoldCap, extendHold } from '../../modules/box-office/extend-hold.service.js'
import { when } from '../format.js'
import { CsrfField } from '../layout.js'
import { flash, requireUser, seeOther } from '../page.js'

/** The "Extend my hold" form, or nothing once the hold reached its cap. */
export function ExtendHoldForm(p: {
  config: Config
  reservation: ReservationT
  csrf: string | null
}): JSX.Element {
  const r = p.reservation
  const hold = { createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at) }
  if (!belowHoldCap(p.config, hold)) return ''
  const minutes = Math.round(p.config.RESERVATION_TTL / 60)
  return (
    <form method="post" action={`/reservations/${r.id}/extend`} id="extend-hold" class="extend-hold">
      <CsrfField token={p.csrf} />
      <p class="meta" id="extend-hold-help" safe>
        {`Need more time? You can extend your hold once, by ${minutes} minute${minutes === 1 ? '' : 's'}.`}
      </p>
      <button type="submit" class="secondary" aria-describedby="extend-hold-help">
        Extend my hold
      </button>
    </form>
  )
}

export async function extendHoldPages(app: FastifyInstance) {
  const { ctx } = app

  app.post(
    '/reservations/:id/extend',
    { schema: { hide: true, params: Type.Object({ id: Id }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: number }
      try {
        const extended = await extendHold(ctx, user, id)
        flash(
          reply,
          'success',
          `Your hold is extended: your tickets are held until ${when(extended.expires_at)}.`,
        )
      } catch (err) {
        // Someone else's reservation stays a 404 page; a hold that cannot be extended says why on the checkout
        // (which sends the buyer on if it lapsed or was paid).
        if (!(err instanceof AppError) || err.status !== 409) throw err
        flash(reply, 'error', err.message)
      }
      return seeOther(reply, `/reservations/${id}`)
    },
  )
}
