// Private messages between friends, the conversation list and read receipts.
import { and, asc, desc, eq, gt, isNull, lt, or, type Placeholder, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedOnce } from '../../db/client.js'
import { messages, users } from '../../db/schema/index.js'
import { AppError, notFound } from '../../lib/errors.js'
import { decodeCursor, encodeCursor } from '../../lib/pagination.js'
import { areFriends } from '../friends/friends.queries.js'
import { profileColumns, toPublicUser } from '../users/users.schemas.js'
import type { ConversationT, MessageT } from './messages.schemas.js'

type MessageRow = typeof messages.$inferSelect

interface CursorInput {
  limit?: number
  cursor?: string
}

const isIdCursor = (v: unknown[]): v is [number] => v.length === 1 && Number.isSafeInteger(v[0])

function toMessage(m: MessageRow): MessageT {
  return {
    id: m.id,
    sender_id: m.senderId,
    recipient_id: m.recipientId,
    body: m.body,
    created_at: m.createdAt.toISOString(),
    read_at: m.readAt?.toISOString() ?? null,
  }
}

const userExists = (db: Db) =>
  preparedOnce(db, 'user_exists', (d, name) =>
    d
      .select({ id: users.id })
      .from(users)
      .where(eq(users.id, sql.placeholder('user')))
      .prepare(name),
  )

async function assertUserExists(ctx: Ctx, id: number): Promise<void> {
  const [row] = await userExists(ctx.db).execute({ user: id })
  if (!row) throw notFound('User')
}

/**
 * Messages of the conversation between the users with the lower and the higher id (placeholders `low` and
 * `high`), through the (least, greatest, id) index.
 */
function conversationOf(low: Placeholder, high: Placeholder) {
  return and(
    eq(sql`least(${messages.senderId}, ${messages.recipientId})`, low),
    eq(sql`greatest(${messages.senderId}, ${messages.recipientId})`, high),
  )
}

/** A page of one conversation, newest first, older than `before` when paging: prepared per shape. */
const messagesPage = (db: Db, paging: boolean) =>
  preparedOnce(db, `messages:${paging ? 'before' : 'first'}`, (d, name) =>
    d
      .select()
      .from(messages)
      .where(
        and(
          conversationOf(sql.placeholder('low'), sql.placeholder('high')),
          paging ? lt(messages.id, sql.placeholder('before')) : undefined,
        ),
      )
      .orderBy(desc(messages.id))
      .limit(sql.placeholder('take'))
      .prepare(name),
  )

export async function sendMessage(
  ctx: Ctx,
  actor: Actor,
  partnerId: number,
  body: string,
): Promise<MessageT> {
  if (!(await areFriends(ctx.db, actor.id, partnerId))) {
    await assertUserExists(ctx, partnerId)
    throw new AppError('NOT_FRIENDS', 'You can only message your friends')
  }
  const [row] = await ctx.db
    .insert(messages)
    .values({ senderId: actor.id, recipientId: partnerId, body })
    .returning()
  return toMessage(row!)
}

/** The actor's conversation with one user, newest first. Only the two participants' messages are read. */
export async function listMessages(ctx: Ctx, actor: Actor, partnerId: number, input: CursorInput) {
  const limit = input.limit ?? 20
  const before = input.cursor ? decodeCursor(input.cursor, isIdCursor)[0] : undefined
  const [rows] = await Promise.all([
    messagesPage(ctx.db, before !== undefined).execute({
      low: Math.min(actor.id, partnerId),
      high: Math.max(actor.id, partnerId),
      before,
      take: limit + 1,
    }),
    assertUserExists(ctx, partnerId),
  ])
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page.map(toMessage),
    next_cursor: rows.length > limit && last ? encodeCursor([last.id]) : null,
  }
}

/** The messages of one conversation after `after`, oldest first: prepared once. */
const messagesAfterStatement = (db: Db) =>
  preparedOnce(db, 'messages:after', (d, name) =>
    d
      .select()
      .from(messages)
      .where(
        and(
          conversationOf(sql.placeholder('low'), sql.placeholder('high')),
          gt(messages.id, sql.placeholder('after')),
        ),
      )
      .orderBy(asc(messages.id))
      .limit(sql.placeholder('take'))
      .prepare(name),
  )

/**
 * The first `limit` messages of the actor's conversation with one user that came after message `after`, oldest
 * first, and whether more follow: what a page that shows up to `after` appends next, none skipped.
 */
export async function messagesAfter(ctx: Ctx, actor: Actor, partnerId: number, after: number, limit: number) {
  const rows = await messagesAfterStatement(ctx.db).execute({
    low: Math.min(actor.id, partnerId),
    high: Math.max(actor.id, partnerId),
    after,
    take: limit + 1,
  })
  return { data: rows.slice(0, limit).map(toMessage), more: rows.length > limit }
}

/** Marks every message the partner sent the actor as read. */
export async function markConversationRead(ctx: Ctx, actor: Actor, partnerId: number): Promise<void> {
  await assertUserExists(ctx, partnerId)
  await ctx.db
    .update(messages)
    .set({ readAt: new Date() })
    .where(and(eq(messages.senderId, partnerId), eq(messages.recipientId, actor.id), isNull(messages.readAt)))
}

/**
 * One row per conversation partner with the last message and the unread count, newest conversation first,
 * in one query: the actor's messages grouped by partner, joined back to the last message and the partner.
 * Prepared per shape (first page, or older than a cursor).
 */
const conversationsPage = (db: Db, paging: boolean) =>
  preparedOnce(db, `conversations:${paging ? 'before' : 'first'}`, (d, name) => {
    const me = sql`${sql.placeholder('me')}::int`
    const partner = sql<number>`case when ${messages.senderId} = ${me} then ${messages.recipientId} else ${messages.senderId} end`
    const summary = d
      .select({
        partnerId: partner.as('partner_id'),
        lastId: sql<number>`max(${messages.id})`.as('last_id'),
        unread:
          sql<number>`(count(*) filter (where ${messages.recipientId} = ${me} and ${messages.readAt} is null))::int`.as(
            'unread',
          ),
      })
      .from(messages)
      .where(or(eq(messages.senderId, me), eq(messages.recipientId, me)))
      // By the output column: the CASE repeated here would carry its own parameters and not match.
      .groupBy(sql`partner_id`)
      .as('summary')
    return d
      .select({
        message: messages,
        partner: profileColumns(users),
        unread: summary.unread,
        lastId: summary.lastId,
      })
      .from(summary)
      .innerJoin(messages, eq(messages.id, summary.lastId))
      .innerJoin(users, eq(users.id, summary.partnerId))
      .where(paging ? lt(summary.lastId, sql.placeholder('before')) : undefined)
      .orderBy(desc(summary.lastId))
      .limit(sql.placeholder('take'))
      .prepare(name)
  })

export async function listConversations(ctx: Ctx, actor: Actor, input: CursorInput) {
  const limit = input.limit ?? 20
  const before = input.cursor ? decodeCursor(input.cursor, isIdCursor)[0] : undefined
  const rows = await conversationsPage(ctx.db, before !== undefined).execute({
    me: actor.id,
    before,
    take: limit + 1,
  })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  const data: ConversationT[] = page.map((r) => ({
    user: toPublicUser(ctx.config, r.partner),
    last_message: toMessage(r.message),
    unread_count: Number(r.unread),
  }))
  return { data, next_cursor: rows.length > limit && last ? encodeCursor([last.message.id]) : null }
}
