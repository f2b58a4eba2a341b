// One attempt of a webhook delivery (a job of the `webhook` queue): sign, POST, record, and on failure
// schedule the next attempt with exponential backoff until the retry window has passed.
import { and, eq, sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import type { Config } from '../../config.js'
import type { Ctx } from '../../context.js'
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js'
import { guardDisabled } from '../../lib/guards.js'
import { enqueueAttempt } from './webhooks.emit.js'
import { type PostOutcome, postWebhook } from './webhooks.send.js'
import type { Resolver } from './webhooks.url.js'

export type AttemptOutcome = 'succeeded' | 'retrying' | 'failed' | 'stale'

/**
 * Seconds to wait after the `attempts`-th failed attempt: WEBHOOKS_RETRY_DELAY, doubling each time, at most
 * WEBHOOKS_RETRY_MAX_DELAY.
 */
export function retryDelaySeconds(
  config: Pick<Config, 'WEBHOOKS_RETRY_DELAY' | 'WEBHOOKS_RETRY_MAX_DELAY'>,
  attempts: number,
): number {
  const doubled = config.WEBHOOKS_RETRY_DELAY * 2 ** Math.min(Math.max(attempts - 1, 0), 40)
  return Math.min(doubled, config.WEBHOOKS_RETRY_MAX_DELAY)
}

/** The request body of a delivery: Standard Webhooks' `{type, timestamp, data}`. */
export function deliveryBody(d: { type: string; createdAt: Date; payload: unknown }): string {
  return JSON.stringify({ type: d.type, timestamp: d.createdAt.toISOString(), data: d.payload })
}

export interface DeliverOptions {
  /** Name resolution for the connection (tests give one whose answer changes). */
  resolve?: Resolver
}

/**
 * Makes attempt number `attempt` of a delivery. A job runs at least once: a worker killed mid-attempt leaves
 * its job to expire and run again, and the receiver may then see the message twice (same `webhook-id`). The
 * row records each attempt once: only while `attempts` is still `attempt - 1` and the delivery pending, so a
 * repeat of an attempt already recorded, or of a delivery settled meanwhile, sends nothing, and two runs of one
 * attempt at once record it once and schedule one next attempt. (`UNSAFE_DISABLE_GUARDS=webhook-attempt`,
 * test-only: the record is unconditional, and both runs schedule a next attempt.)
 */
export async function deliverWebhook(
  ctx: Ctx,
  job: { deliveryId: number; attempt: number },
  opts: DeliverOptions = {},
): Promise<AttemptOutcome> {
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, job.deliveryId))
  if (!row) return 'stale'
  const { delivery: d, endpoint } = row
  if (d.status !== 'pending' || d.attempts !== job.attempt - 1) return 'stale'

  const outcome: PostOutcome = endpoint.active
    ? await send(ctx, endpoint, d, opts)
    : { ok: false, statusCode: null, error: 'the endpoint is deactivated' }
  const config = ctx.config
  const delay = retryDelaySeconds(config, job.attempt)
  const windowEnds = d.windowStartedAt.getTime() + config.WEBHOOKS_RETRY_WINDOW * 1000
  const retry = !outcome.ok && endpoint.active && Date.now() + delay * 1000 <= windowEnds
  const status = outcome.ok ? 'succeeded' : retry ? 'pending' : 'failed'
  return ctx.db.transaction(async (tx) => {
    const recorded = await tx
      .update(webhookDeliveries)
      .set({
        status,
        attempts: job.attempt,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        nextAttemptAt: retry ? sql`now() + make_interval(secs => ${delay})` : null,
        updatedAt: new Date(),
      })
      .where(
        guardDisabled(config, 'webhook-attempt')
          ? eq(webhookDeliveries.id, d.id)
          : and(
              eq(webhookDeliveries.id, d.id),
              eq(webhookDeliveries.attempts, job.attempt - 1),
              eq(webhookDeliveries.status, 'pending'),
            ),
      )
      .returning({ id: webhookDeliveries.id })
    if (recorded.length === 0) return 'stale'
    if (!retry) return status as 'succeeded' | 'failed'
    await enqueueAttempt(ctx, tx, { deliveryId: d.id, attempt: job.attempt + 1 }, Math.ceil(delay))
    return 'retrying'
  })
}

/**
 * The `webhook` queue's handler. The job stays active while its attempt runs, and is completed only when the
 * attempt is recorded. `UNSAFE_DISABLE_GUARDS=webhook-ack` (test-only control) runs the attempt in the
 * background and acknowledges the job at once, as a fire-and-forget sender would.
 */
export async function runWebhookJob(
  ctx: Ctx,
  job: { deliveryId: number; attempt: number },
): Promise<AttemptOutcome | 'acknowledged'> {
  if (!guardDisabled(ctx.config, 'webhook-ack')) return deliverWebhook(ctx, job)
  void deliverWebhook(ctx, job).catch((err: unknown) => ctx.log.error({ err }, 'webhook attempt failed'))
  return 'acknowledged'
}

async function send(
  ctx: Ctx,
  endpoint: typeof webhookEndpoints.$inferSelect,
  d: typeof webhookDeliveries.$inferSelect,
  opts: DeliverOptions,
): Promise<PostOutcome> {
  const body = deliveryBody(d)
  const sentAt = new Date()
  const headers = {
    'webhook-id': d.webhookId,
    'webhook-timestamp': Math.floor(sentAt.getTime() / 1000).toString(),
    'webhook-signature': new Webhook(endpoint.secret).sign(d.webhookId, sentAt, body),
  }
  ctx.log.info({ deliveryId: d.id, attempt: d.attempts + 1, type: d.type }, 'webhook attempt')
  const outcome = await postWebhook({
    url: endpoint.url,
    headers,
    body,
    timeoutMs: ctx.config.WEBHOOKS_TIMEOUT * 1000,
    allowPrivate: ctx.config.WEBHOOKS_ALLOW_PRIVATE,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  })
  ctx.log.info({ deliveryId: d.id, ...outcome }, 'webhook attempt done')
  return outcome
}
