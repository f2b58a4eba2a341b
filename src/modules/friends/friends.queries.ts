// Friendship look-ups other capabilities rely on (messages, reservations for friends, friends going).
import { and, eq, or, type Placeholder, sql } from 'drizzle-orm'
import type { Db } from '../../db/client.js'
import { friendships } from '../../db/schema/index.js'

/** True when `a` and `b` are friends (an accepted friendship, whichever of them asked). */
export async function areFriends(db: Db, a: number, b: number): Promise<boolean> {
  const [row] = await db
    .select({ one: sql<number>`1` })
    .from(friendships)
    .where(
      and(
        eq(friendships.status, 'accepted'),
        or(
          and(eq(friendships.requesterId, a), eq(friendships.addresseeId, b)),
          and(eq(friendships.requesterId, b), eq(friendships.addresseeId, a)),
        ),
      ),
    )
    .limit(1)
  return row !== undefined
}

/**
 * A subquery of the ids of `userId`'s friends, for `inArray(column, friendIdsOf(db, id))`; `userId` may be a
 * prepared statement's placeholder.
 */
export function friendIdsOf(db: Db, userId: number | Placeholder) {
  return db
    .select({
      id: sql<number>`case when ${friendships.requesterId} = ${userId} then ${friendships.addresseeId} else ${friendships.requesterId} end`.as(
        'friend_id',
      ),
    })
    .from(friendships)
    .where(
      and(
        eq(friendships.status, 'accepted'),
        or(eq(friendships.requesterId, userId), eq(friendships.addresseeId, userId)),
      ),
    )
}
