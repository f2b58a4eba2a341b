// Friend requests (send, accept, decline, cancel), the friends list and unfriending.
// A pair of users has at most one friendships row: pending, accepted (the friendship) or declined.
import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { type friendships as FriendshipsTable, friendships, users } from '../../db/schema/index.js'
import { AppError, forbidden, invalid, notFound } from '../../lib/errors.js'
import { type PageParams, toPage } from '../../lib/pagination.js'
import { profileColumns, toPublicUser } from '../users/users.schemas.js'
import { pageOfPublicUsers } from '../users/users.service.js'
import { friendIdsOf } from './friends.queries.js'
import type { FriendRequestT } from './friends.schemas.js'

type Friendship = typeof FriendshipsTable.$inferSelect

const requester = alias(users, 'requester')
const addressee = alias(users, 'addressee')

/** Matches the row of the unordered pair {a, b} through the unique (least, greatest) index. */
function pairIs(a: number, b: number) {
  return and(
    eq(sql`least(${friendships.requesterId}, ${friendships.addresseeId})`, Math.min(a, b)),
    eq(sql`greatest(${friendships.requesterId}, ${friendships.addresseeId})`, Math.max(a, b)),
  )
}

function selectRequests(db: Db) {
  return db
    .select({ f: friendships, requester: profileColumns(requester), addressee: profileColumns(addressee) })
    .from(friendships)
    .innerJoin(requester, eq(requester.id, friendships.requesterId))
    .innerJoin(addressee, eq(addressee.id, friendships.addresseeId))
    .$dynamic()
}

type RequestRow = Awaited<ReturnType<ReturnType<typeof selectRequests>['execute']>>[number]

function toFriendRequest(ctx: Ctx, row: RequestRow): FriendRequestT {
  return {
    id: row.f.id,
    requester: toPublicUser(ctx.config, row.requester),
    addressee: toPublicUser(ctx.config, row.addressee),
    status: row.f.status,
    created_at: row.f.createdAt.toISOString(),
    responded_at: row.f.respondedAt?.toISOString() ?? null,
  }
}

async function loadRequest(ctx: Ctx, db: Db, id: number): Promise<FriendRequestT> {
  const [row] = await selectRequests(db).where(eq(friendships.id, id))
  if (!row) throw notFound('Friend request')
  return toFriendRequest(ctx, row)
}

/** The request row, locked, when the actor is one of its two users; 404 for everybody else. */
async function lockOwnRequest(tx: Db, actor: Actor, id: number): Promise<Friendship> {
  const [row] = await tx.select().from(friendships).where(eq(friendships.id, id)).for('update')
  if (!row || (row.requesterId !== actor.id && row.addresseeId !== actor.id)) {
    throw notFound('Friend request')
  }
  return row
}

const alreadyFriends = () => new AppError('ALREADY_FRIENDS', 'You are already friends')

/** Accepting or declining (`action`) a request that was answered already: 409 REQUEST_NOT_PENDING, in words. */
function notPending(status: string, action: 'accept' | 'decline'): AppError {
  const detail =
    status === 'accepted'
      ? 'This friend request was accepted already: you are friends'
      : action === 'accept'
        ? 'You declined this friend request already: send them a friend request instead'
        : 'You declined this friend request already'
  return new AppError('REQUEST_NOT_PENDING', detail)
}

/**
 * Sends a request to `userId`. When that user is asking the actor (a pending request), asking back accepts it.
 * A request that was declined, either way, is over: asking now is a new pending request from the actor (a new
 * id), which the other user may accept or decline in turn. A decliner cannot turn the old request into a
 * friendship by themselves.
 */
export async function sendFriendRequest(ctx: Ctx, actor: Actor, userId: number): Promise<FriendRequestT> {
  if (userId === actor.id) throw invalid('body.user_id', 'you cannot send a friend request to yourself')
  return ctx.db.transaction(async (tx) => {
    const [target] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId))
    if (!target) throw notFound('User')
    // Two attempts: when a crossing request is inserted between our read and our insert, the second
    // pass reads it (the unique pair index guarantees one of the two inserts loses).
    for (let attempt = 0; attempt < 2; attempt++) {
      const [row] = await tx.select().from(friendships).where(pairIs(actor.id, userId)).for('update')
      if (!row) {
        const [created] = await tx
          .insert(friendships)
          .values({ requesterId: actor.id, addresseeId: userId })
          .onConflictDoNothing()
          .returning({ id: friendships.id })
        if (created) return loadRequest(ctx, tx, created.id)
        continue
      }
      if (row.status === 'accepted') throw alreadyFriends()
      if (row.requesterId === actor.id && row.status === 'pending') {
        throw new AppError('REQUEST_EXISTS', 'You already sent this user a friend request')
      }
      if (row.status === 'declined') {
        // Declined, by either of them: that request is over, and this is a new one (a new id), which they answer.
        await tx.delete(friendships).where(eq(friendships.id, row.id))
        const [created] = await tx
          .insert(friendships)
          .values({ requesterId: actor.id, addresseeId: userId })
          .returning({ id: friendships.id })
        return loadRequest(ctx, tx, created!.id)
      }
      // They are asking the actor: asking back accepts.
      await tx
        .update(friendships)
        .set({ status: 'accepted', respondedAt: new Date() })
        .where(eq(friendships.id, row.id))
      return loadRequest(ctx, tx, row.id)
    }
    throw new AppError('CONFLICT', 'The friend request changed concurrently; try again')
  })
}

/** The addressee accepts a pending request; any other is 409 REQUEST_NOT_PENDING (after a decline, they may ask again). */
export async function acceptFriendRequest(ctx: Ctx, actor: Actor, id: number): Promise<FriendRequestT> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockOwnRequest(tx, actor, id)
    if (row.addresseeId !== actor.id) throw forbidden('Only the addressee may accept a friend request')
    if (row.status !== 'pending') throw notPending(row.status, 'accept')
    await tx
      .update(friendships)
      .set({ status: 'accepted', respondedAt: new Date() })
      .where(eq(friendships.id, id))
    return loadRequest(ctx, tx, id)
  })
}

/** The addressee declines a pending request; any other, declined or accepted already, is 409 REQUEST_NOT_PENDING. */
export async function declineFriendRequest(ctx: Ctx, actor: Actor, id: number): Promise<FriendRequestT> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockOwnRequest(tx, actor, id)
    if (row.addresseeId !== actor.id) throw forbidden('Only the addressee may decline a friend request')
    if (row.status !== 'pending') throw notPending(row.status, 'decline')
    await tx
      .update(friendships)
      .set({ status: 'declined', respondedAt: new Date() })
      .where(eq(friendships.id, id))
    return loadRequest(ctx, tx, id)
  })
}

/** The requester withdraws a request that is not (yet) a friendship. */
export async function cancelFriendRequest(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await lockOwnRequest(tx, actor, id)
    if (row.requesterId !== actor.id) throw forbidden('Only the requester may cancel a friend request')
    if (row.status === 'accepted') throw alreadyFriends()
    await tx.delete(friendships).where(eq(friendships.id, id))
  })
}

/** Pending requests to (incoming) or from (outgoing) the actor, newest first: prepared per direction. */
export async function listFriendRequests(
  ctx: Ctx,
  actor: Actor,
  direction: 'incoming' | 'outgoing',
  page: PageParams,
) {
  const values = { user: actor.id }
  const { rows, total } = await preparedPage(ctx.db, `friend_requests:${direction}`, page, values, (d) => {
    const where = and(
      eq(
        direction === 'incoming' ? friendships.addresseeId : friendships.requesterId,
        sql.placeholder('user'),
      ),
      eq(friendships.status, 'pending'),
    )
    return {
      rows: selectRequests(d).where(where).orderBy(desc(friendships.id)),
      total: d.select({ n: count() }).from(friendships).where(where).$dynamic(),
    }
  })
  return toPage(
    rows.map((r) => toFriendRequest(ctx, r)),
    total[0]?.n ?? 0,
    page,
  )
}

export async function listFriends(ctx: Ctx, actor: Actor, page: PageParams) {
  return pageOfPublicUsers(ctx, 'friends', { user: actor.id }, page, (db) => ({
    where: inArray(users.id, friendIdsOf(db, sql.placeholder('user'))),
    order: [asc(sql`lower(${users.username})`)],
  }))
}

/** Ends a friendship; 404 when the two are not friends. */
export async function unfriend(ctx: Ctx, actor: Actor, userId: number): Promise<void> {
  const deleted = await ctx.db
    .delete(friendships)
    .where(and(pairIs(actor.id, userId), eq(friendships.status, 'accepted')))
    .returning({ id: friendships.id })
  if (deleted.length === 0) throw notFound('Friendship')
}

export type Relation =
  | { kind: 'self' | 'none' | 'friends' }
  | { kind: 'incoming' | 'outgoing'; requestId: number }

/** Where the actor stands with `userId`: friends, a pending request either way, or nothing (declined counts as nothing). */
export async function relationWith(ctx: Ctx, actor: Actor, userId: number): Promise<Relation> {
  if (userId === actor.id) return { kind: 'self' }
  const [row] = await ctx.db.select().from(friendships).where(pairIs(actor.id, userId))
  if (!row || row.status === 'declined') return { kind: 'none' }
  if (row.status === 'accepted') return { kind: 'friends' }
  return { kind: row.requesterId === actor.id ? 'outgoing' : 'incoming', requestId: row.id }
}
