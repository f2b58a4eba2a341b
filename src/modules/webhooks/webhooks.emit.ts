// Telling an event's organizer's webhook endpoints that something happened, inside the transaction of the
// change itself: a delivery row and its job exist if and only if the change commits.
import { randomUUID } from 'node:crypto'
import { and, arrayContains, eq } from 'drizzle-orm'
import type { Ctx } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js'
import type { WebhookEventType } from './webhooks.schemas.js'

/**
 * Enqueues attempt `attempt` of a delivery through `db` (the transaction that makes it due), after `startAfter`
 * seconds. Its job may run a little longer than WEBHOOKS_TIMEOUT before it counts as abandoned (a worker that
 * died) and goes to another worker: never less, or a slow receiver would get each attempt twice.
 */
export function enqueueAttempt(
  ctx: Ctx,
  db: Db,
  job: { deliveryId: number; attempt: number },
  startAfter = 0,
): Promise<string> {
  const expireInSeconds = Math.max(ctx.config.JOBS_EXPIRE, Math.ceil(ctx.config.WEBHOOKS_TIMEOUT) + 1)
  return ctx.jobs.send(db, 'webhook', job, { expireInSeconds, ...(startAfter > 0 ? { startAfter } : {}) })
}

export interface WebhookEvent {
  /** The event (the show) this happened at; its organizer's endpoints are told. */
  eventId: number
  type: WebhookEventType
  /**
   * The payload's `data`: the API's own shape of the ticket, event or entry concerned. A function is called
   * only when some endpoint listens, so an event nobody listens to costs one query.
   */
  data: unknown | (() => Promise<unknown>)
}

/**
 * Writes one delivery per active endpoint of the organizer subscribed to `type`, and enqueues its first
 * attempt, all through `tx`. Returns how many deliveries it made.
 */
export function emitWebhookEvent(ctx: Ctx, tx: Db, event: WebhookEvent): Promise<number> {
  return emitWebhookEvents(ctx, tx, [event])
}

/**
 * `emitWebhookEvent` for several at once (the tickets of one payment): the endpoints are looked up once per
 * event and type, so a change nobody listens to costs one query whatever its size.
 */
export async function emitWebhookEvents(ctx: Ctx, tx: Db, list: WebhookEvent[]): Promise<number> {
  const groups = new Map<string, WebhookEvent[]>()
  for (const e of list) {
    const key = `${e.eventId}:${e.type}`
    groups.set(key, [...(groups.get(key) ?? []), e])
  }
  let made = 0
  for (const group of groups.values()) {
    const { eventId, type } = group[0]!
    const endpoints = await tx
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .innerJoin(events, eq(events.organizerId, webhookEndpoints.userId))
      .where(
        and(
          eq(events.id, eventId),
          eq(webhookEndpoints.active, true),
          arrayContains(webhookEndpoints.events, [type]),
        ),
      )
      .orderBy(webhookEndpoints.id)
    if (endpoints.length === 0) continue
    for (const event of group) {
      const data =
        typeof event.data === 'function' ? await (event.data as () => Promise<unknown>)() : event.data
      const rows = await tx
        .insert(webhookDeliveries)
        .values(
          endpoints.map((e) => ({
            endpointId: e.id,
            eventId,
            type,
            payload: data ?? {},
            webhookId: `msg_${randomUUID().replaceAll('-', '')}`,
            nextAttemptAt: new Date(),
          })),
        )
        .returning({ id: webhookDeliveries.id })
      for (const row of rows) await enqueueAttempt(ctx, tx, { deliveryId: row.id, attempt: 1 })
      made += rows.length
    }
  }
  return made
}
