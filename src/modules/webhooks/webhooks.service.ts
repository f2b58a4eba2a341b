// Webhook endpoints of their owner (create, list, change, delete), their deliveries, and redelivery.
import { randomBytes } from 'node:crypto'
import { and, count, desc, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { webhookDeliveries, webhookEndpoints } from '../../db/schema/index.js'
import { AppError, notFound } from '../../lib/errors.js'
import { type Page, type PageParams, toPage } from '../../lib/pagination.js'
import { enqueueAttempt } from './webhooks.emit.js'
import type {
  WebhookDeliveryT,
  WebhookEndpointCreatedT,
  WebhookEndpointT,
  WebhookEventType,
  WebhookInput,
  WebhookPatchT,
} from './webhooks.schemas.js'
import { checkWebhookUrl } from './webhooks.url.js'

/** Endpoints one account may have: each event may be sent to every one of them. */
export const MAX_WEBHOOKS_PER_USER = 10

type EndpointRow = typeof webhookEndpoints.$inferSelect
type DeliveryRow = typeof webhookDeliveries.$inferSelect

export function toEndpoint(e: EndpointRow): WebhookEndpointT {
  return {
    id: e.id,
    url: e.url,
    events: e.events as WebhookEventType[],
    active: e.active,
    created_at: e.createdAt.toISOString(),
  }
}

export function toDelivery(d: DeliveryRow): WebhookDeliveryT {
  return {
    id: d.id,
    type: d.type as WebhookEventType,
    status: d.status,
    attempts: d.attempts,
    last_status_code: d.lastStatusCode,
    next_attempt_at: d.status === 'pending' ? (d.nextAttemptAt?.toISOString() ?? null) : null,
    created_at: d.createdAt.toISOString(),
  }
}

/** A new signing secret: Standard Webhooks' `whsec_` and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** The caller's endpoint; 404 for anyone else's, whoever they are. */
async function ownEndpoint(db: Db, actor: Actor, id: number, lock = false): Promise<EndpointRow> {
  const query = db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.userId, actor.id)))
  const [row] = lock ? await query.for('update') : await query
  if (!row) throw notFound('Webhook')
  return row
}

export async function createWebhook(
  ctx: Ctx,
  actor: Actor,
  input: WebhookInput,
): Promise<WebhookEndpointCreatedT> {
  await checkWebhookUrl(ctx.config, input.url)
  return ctx.db.transaction(async (tx) => {
    // Counting and adding under a lock of the account's endpoints' key, so two at once cannot pass the cap.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('webhook_endpoints'), ${actor.id})`)
    const [n] = await tx
      .select({ n: count() })
      .from(webhookEndpoints)
      .where(eq(webhookEndpoints.userId, actor.id))
    if ((n?.n ?? 0) >= MAX_WEBHOOKS_PER_USER) {
      throw new AppError('CONFLICT', `An account may have at most ${MAX_WEBHOOKS_PER_USER} webhooks`)
    }
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ userId: actor.id, url: input.url, events: input.events, secret: newSecret() })
      .returning()
    return { ...toEndpoint(row!), secret: row!.secret }
  })
}

export async function listWebhooks(
  ctx: Ctx,
  actor: Actor,
  page: PageParams,
): Promise<Page<WebhookEndpointT>> {
  const { rows, total } = await preparedPage(ctx.db, 'webhook_endpoints', page, { user: actor.id }, (d) => {
    const mine = eq(webhookEndpoints.userId, sql.placeholder('user'))
    return {
      rows: d.select().from(webhookEndpoints).where(mine).orderBy(webhookEndpoints.id).$dynamic(),
      total: d.select({ n: count() }).from(webhookEndpoints).where(mine).$dynamic(),
    }
  })
  return toPage(rows.map(toEndpoint), total[0]?.n ?? 0, page)
}

export async function getWebhook(ctx: Ctx, actor: Actor, id: number): Promise<WebhookEndpointT> {
  return toEndpoint(await ownEndpoint(ctx.db, actor, id))
}

export async function updateWebhook(
  ctx: Ctx,
  actor: Actor,
  id: number,
  patch: WebhookPatchT,
): Promise<WebhookEndpointT> {
  await ownEndpoint(ctx.db, actor, id)
  if (patch.url !== undefined) await checkWebhookUrl(ctx.config, patch.url)
  return ctx.db.transaction(async (tx) => {
    await ownEndpoint(tx, actor, id, true)
    const [row] = await tx
      .update(webhookEndpoints)
      .set({
        ...(patch.url !== undefined ? { url: patch.url } : {}),
        ...(patch.events !== undefined ? { events: patch.events } : {}),
        ...(patch.active !== undefined ? { active: patch.active } : {}),
        updatedAt: new Date(),
      })
      .where(eq(webhookEndpoints.id, id))
      .returning()
    return toEndpoint(row!)
  })
}

/** Deletes an endpoint with its deliveries; attempts already queued find nothing and send nothing. */
export async function deleteWebhook(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  await ownEndpoint(ctx.db, actor, id)
  await ctx.db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.userId, actor.id)))
}

/** An endpoint's deliveries, newest first. */
export async function listDeliveries(
  ctx: Ctx,
  actor: Actor,
  id: number,
  page: PageParams,
): Promise<Page<WebhookDeliveryT>> {
  await ownEndpoint(ctx.db, actor, id)
  const { rows, total } = await preparedPage(ctx.db, 'webhook_deliveries', page, { endpoint: id }, (d) => {
    const ofEndpoint = eq(webhookDeliveries.endpointId, sql.placeholder('endpoint'))
    return {
      rows: d
        .select()
        .from(webhookDeliveries)
        .where(ofEndpoint)
        .orderBy(desc(webhookDeliveries.id))
        .$dynamic(),
      total: d.select({ n: count() }).from(webhookDeliveries).where(ofEndpoint).$dynamic(),
    }
  })
  return toPage(rows.map(toDelivery), total[0]?.n ?? 0, page)
}

/**
 * Sends a delivery again, whatever its status: it becomes `pending` with a fresh retry window, and its next
 * attempt is enqueued now (an attempt already queued for it finds that number taken and sends nothing).
 */
export async function redeliver(
  ctx: Ctx,
  actor: Actor,
  id: number,
  deliveryId: number,
): Promise<WebhookDeliveryT> {
  await ownEndpoint(ctx.db, actor, id)
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .update(webhookDeliveries)
      .set({
        status: 'pending',
        nextAttemptAt: sql`now()`,
        windowStartedAt: sql`now()`,
        updatedAt: new Date(),
      })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, id)))
      .returning()
    if (!row) throw notFound('Delivery')
    await enqueueAttempt(ctx, tx, { deliveryId: row.id, attempt: row.attempts + 1 })
    return toDelivery(row)
  })
}
