// The periodic sweep that expires unpaid reservations (and purges old idempotency keys) until the job queue takes it over.
import fp from 'fastify-plugin'
import { purgeIdempotencyKeys } from '../lib/idempotency.js'
import { expireStaleHolds } from '../modules/reservations/reservations.expiry.js'

const DEFAULT_INTERVAL_SECONDS = 30

export default fp(
  async (app) => {
    const { config } = app
    const seconds = config.HOLD_SWEEP_INTERVAL ?? (config.NODE_ENV === 'test' ? 0 : DEFAULT_INTERVAL_SECONDS)
    if (seconds === 0) return
    let running: Promise<void> | undefined
    const sweep = async () => {
      try {
        const expired = await expireStaleHolds(app.ctx)
        const purged = await purgeIdempotencyKeys(app.ctx.db)
        if (expired > 0 || purged > 0) app.log.info({ expired, purged }, 'hold sweep')
      } catch (err) {
        app.log.error({ err }, 'hold sweep failed')
      }
    }
    // One sweep at a time per process; other processes may sweep at once (the sweep skips locked rows).
    const timer = setInterval(() => {
      running ??= sweep().finally(() => {
        running = undefined
      })
    }, seconds * 1000)
    timer.unref()
    app.addHook('onClose', async () => {
      clearInterval(timer)
      await running
    })
  },
  { name: 'hold-sweep', dependencies: ['context'] },
)
