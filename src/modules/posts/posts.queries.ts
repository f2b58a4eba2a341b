// The one query that reads posts: author, event, shared post and liked_by_me joined in, so a page of posts
// is always a single statement whatever its size (the counters are columns kept by triggers).
import { type AnyColumn, and, eq, or, type Placeholder, type SQL, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Config } from '../../config.js'
import type { Actor } from '../../context.js'
import type { Db } from '../../db/client.js'
import { events, postLikes, posts, users } from '../../db/schema/index.js'
import { type AuthorRow, authorColumns, avatarUrl } from '../users/users.schemas.js'
import type { PostAuthorT, PostT, SharedPostT } from './posts.schemas.js'

const author = alias(users, 'author')
const event = alias(events, 'event')
const shared = alias(posts, 'shared')
const sharedAuthor = alias(users, 'shared_author')
const sharedEvent = alias(events, 'shared_event')

/**
 * Who reads: their id (for liked_by_me and their own drafts) and whether they are an admin, as values or as
 * placeholders of a prepared statement (`viewer`, `admin`), so one statement serves every reader.
 */
export interface Viewer {
  id: number | Placeholder
  admin: boolean | Placeholder
}

export const viewerPlaceholders: Viewer = { id: sql.placeholder('viewer'), admin: sql.placeholder('admin') }
export const viewerValues = (actor: Actor) => ({ viewer: actor.id, admin: actor.role === 'admin' })

/**
 * The linked event is shown only to readers who may see it (as GET /events/{id} decides): a post about an
 * event never published shows `event: null` to everyone but its organizer and admins, so its title does not
 * leak.
 */
function visibleTo(e: { publishedAt: AnyColumn; organizerId: AnyColumn }, viewer: Viewer): SQL {
  return or(
    sql`${e.publishedAt} is not null`,
    eq(e.organizerId, sql`${viewer.id}::int`),
    sql`${viewer.admin}::boolean`,
  )!
}

/**
 * A select of posts with everything a Post needs, plus `extra` columns (a list's total); add
 * where/orderBy/limit.
 */
export function selectPosts<E extends Record<string, SQL>>(db: Db, viewer: Viewer, extra?: E) {
  return db
    .select({
      ...(extra as E),
      post: posts,
      author: authorColumns(author),
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
      sharedAuthor: authorColumns(sharedAuthor),
      sharedEvent: { id: sharedEvent.id, title: sharedEvent.title },
      likedByMe: sql<boolean>`exists (select 1 from ${postLikes} where ${postLikes.postId} = ${posts.id} and ${postLikes.userId} = ${viewer.id}::int)`,
    })
    .from(posts)
    .innerJoin(author, eq(author.id, posts.authorId))
    .leftJoin(event, and(eq(event.id, posts.eventId), visibleTo(event, viewer)))
    .leftJoin(shared, eq(shared.id, posts.sharedPostId))
    .leftJoin(sharedAuthor, eq(sharedAuthor.id, shared.authorId))
    .leftJoin(sharedEvent, and(eq(sharedEvent.id, shared.eventId), visibleTo(sharedEvent, viewer)))
    .$dynamic()
}

export type PostRow = Awaited<ReturnType<ReturnType<typeof selectPosts>['execute']>>[number]

/** An author (of a post or a comment) as the API shows it. */
export function toAuthor(config: Config, a: AuthorRow): PostAuthorT {
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
