// The one query that reads posts: author, event, shared post and liked_by_me joined in, so a page of posts
// is always a single statement whatever its size (the counters are columns kept by triggers).
import { eq, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Config } from '../../config.js'
import type { Db } from '../../db/client.js'
import { events, postLikes, posts, users } from '../../db/schema/index.js'
import { avatarUrl } from '../users/users.schemas.js'
import type { PostAuthorT, PostT, SharedPostT } from './posts.schemas.js'

const author = alias(users, 'author')
const event = alias(events, 'event')
const shared = alias(posts, 'shared')
const sharedAuthor = alias(users, 'shared_author')
const sharedEvent = alias(events, 'shared_event')

/** A select of posts with everything a Post needs; add where/orderBy/limit. */
export function selectPosts(db: Db, viewerId: number) {
  return db
    .select({
      post: posts,
      author: {
        id: author.id,
        username: author.username,
        displayName: author.displayName,
        avatarPath: author.avatarPath,
      },
      event: { id: event.id, title: event.title },
      shared: {
        id: shared.id,
        body: shared.body,
        likeCount: shared.likeCount,
        commentCount: shared.commentCount,
        shareCount: shared.shareCount,
        createdAt: shared.createdAt,
        updatedAt: shared.updatedAt,
      },
      sharedAuthor: {
        id: sharedAuthor.id,
        username: sharedAuthor.username,
        displayName: sharedAuthor.displayName,
        avatarPath: sharedAuthor.avatarPath,
      },
      sharedEvent: { id: sharedEvent.id, title: sharedEvent.title },
      likedByMe: sql<boolean>`exists (select 1 from ${postLikes} where ${postLikes.postId} = ${posts.id} and ${postLikes.userId} = ${viewerId})`,
    })
    .from(posts)
    .innerJoin(author, eq(author.id, posts.authorId))
    .leftJoin(event, eq(event.id, posts.eventId))
    .leftJoin(shared, eq(shared.id, posts.sharedPostId))
    .leftJoin(sharedAuthor, eq(sharedAuthor.id, shared.authorId))
    .leftJoin(sharedEvent, eq(sharedEvent.id, shared.eventId))
    .$dynamic()
}

export type PostRow = Awaited<ReturnType<ReturnType<typeof selectPosts>['execute']>>[number]

interface AuthorRow {
  id: number
  username: string
  displayName: string
  avatarPath: string | null
}

function toAuthor(config: Config, a: AuthorRow): PostAuthorT {
  return {
    id: a.id,
    username: a.username,
    display_name: a.displayName,
    avatar_url: avatarUrl(config, a.avatarPath),
  }
}

function toEvent(e: { id: number | null; title: string | null } | null) {
  return e?.id != null && e.title != null ? { id: e.id, title: e.title } : null
}

function toSharedPost(config: Config, row: PostRow): SharedPostT | null {
  const s = row.shared
  const a = row.sharedAuthor
  if (!s || s.id == null || !a || a.id == null) return null
  return {
    id: s.id,
    body: s.body!,
    author: toAuthor(config, a as AuthorRow),
    event: toEvent(row.sharedEvent),
    like_count: s.likeCount!,
    comment_count: s.commentCount!,
    share_count: s.shareCount!,
    created_at: s.createdAt!.toISOString(),
    updated_at: s.updatedAt!.toISOString(),
  }
}

export function toPost(config: Config, row: PostRow): PostT {
  const p = row.post
  return {
    id: p.id,
    body: p.body,
    author: toAuthor(config, row.author),
    event: toEvent(row.event),
    shared_post: toSharedPost(config, row),
    like_count: p.likeCount,
    comment_count: p.commentCount,
    share_count: p.shareCount,
    liked_by_me: Boolean(row.likedByMe),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  }
}
