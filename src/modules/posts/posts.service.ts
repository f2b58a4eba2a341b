// Posts: create, read, list, the friends feed, edit, delete, and likes.
import { and, desc, eq, or, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { amongPicked, type Db, preparedOnce } from '../../db/client.js'
import { pgErrorCode } from '../../db/errors.js'
import { events, postLikes, posts } from '../../db/schema/index.js'
import { forbidden, notFound } from '../../lib/errors.js'
import { decodeCursor, encodeCursor, type Page, type PageParams, parseSort } from '../../lib/pagination.js'
import { actorOfClaims, type Caller } from '../../plugins/auth.js'
import { type PostListQuery, type PostSortField, postsPageJson } from './posts.list.js'
import { selectPosts, toPost, viewerPlaceholders, viewerValues } from './posts.queries.js'
import type { PostT } from './posts.schemas.js'

/** 404 unless the event exists and the actor may see it: published, their own, or any for an admin. */
async function assertEventVisible(db: Db, actor: Actor, eventId: number): Promise<void> {
  const visible =
    actor.role === 'admin' ? undefined : or(eq(events.status, 'published'), eq(events.organizerId, actor.id))
  const [row] = await db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.id, eventId), visible))
  if (!row) throw notFound('Event')
}

async function postOwner(db: Db, id: number): Promise<{ authorId: number }> {
  const [row] = await db.select({ authorId: posts.authorId }).from(posts).where(eq(posts.id, id))
  if (!row) throw notFound('Post')
  return row
}

const postById = (db: Db) =>
  preparedOnce(db, 'posts_by_id', (d, name) =>
    selectPosts(d, viewerPlaceholders)
      .where(eq(posts.id, sql.placeholder('id')))
      .prepare(name),
  )

export async function getPost(ctx: Ctx, actor: Actor, id: number): Promise<PostT> {
  const [row] = await postById(ctx.db).execute({ ...viewerValues(actor), id })
  if (!row) throw notFound('Post')
  return toPost(ctx.config, row)
}

export async function createPost(
  ctx: Ctx,
  actor: Actor,
  input: { body: string; event_id?: number; shared_post_id?: number },
): Promise<PostT> {
  if (input.event_id !== undefined) await assertEventVisible(ctx.db, actor, input.event_id)
  if (input.shared_post_id !== undefined) await postOwner(ctx.db, input.shared_post_id)
  try {
    const [row] = await ctx.db
      .insert(posts)
      .values({
        authorId: actor.id,
        body: input.body,
        eventId: input.event_id,
        sharedPostId: input.shared_post_id,
      })
      .returning({ id: posts.id })
    return getPost(ctx, actor, row!.id)
  } catch (err) {
    // The event or the shared post was deleted between the check and the insert.
    if (pgErrorCode(err) === '23503') throw notFound(input.shared_post_id ? 'Post' : 'Event')
    throw err
  }
}

/** The author or an admin edits the body and the event; others get 403 (every post is visible). */
export async function updatePost(
  ctx: Ctx,
  actor: Actor,
  id: number,
  input: { body?: string; event_id?: number | null },
): Promise<PostT> {
  const { authorId } = await postOwner(ctx.db, id)
  if (authorId !== actor.id && actor.role !== 'admin') throw forbidden('Only the author may edit this post')
  if (input.event_id != null) await assertEventVisible(ctx.db, actor, input.event_id)
  const updated = await ctx.db
    .update(posts)
    .set({ body: input.body, eventId: input.event_id, updatedAt: new Date() })
    .where(eq(posts.id, id))
    .returning({ id: posts.id })
  if (updated.length === 0) throw notFound('Post')
  return getPost(ctx, actor, id)
}

/** The author or an admin deletes; comments and likes cascade, shares keep existing with shared_post null. */
export async function deletePost(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  const { authorId } = await postOwner(ctx.db, id)
  if (authorId !== actor.id && actor.role !== 'admin') throw forbidden('Only the author may delete this post')
  await ctx.db.delete(posts).where(eq(posts.id, id))
}

/** GET /posts as the JSON text the API sends (PostgreSQL writes each post), with the page's numbers. */
export async function listPostsJson(ctx: Ctx, reader: Caller, query: PostListQuery, page: PageParams) {
  const { field, desc: descending } = parseSort<PostSortField>(query.sort, '-created_at')
  // Listing by an event the reader may not see would tell which posts are about it: 404 as for the event.
  // That needs the reader's role first, so the token is checked on its own.
  if (query.event_id !== undefined) {
    const actor = 'actor' in reader ? reader.actor : await actorOfClaims(ctx.db, reader.claims)
    await assertEventVisible(ctx.db, actor, query.event_id)
    return postsPageJson(ctx, { actor }, query, field, descending, page)
  }
  return postsPageJson(ctx, reader, query, field, descending, page)
}

/** A page of posts as objects, for the pages: the same statement as `listPostsJson`. */
export async function listPosts(
  ctx: Ctx,
  actor: Actor,
  query: PostListQuery,
  page: PageParams,
): Promise<Page<PostT>> {
  const { body } = await listPostsJson(ctx, { actor }, query, page)
  return JSON.parse(body) as Page<PostT>
}

const isIdCursor = (v: unknown[]): v is [number] => v.length === 1 && Number.isSafeInteger(v[0])

/**
 * The feed's statement for pages of `take - 1` posts: the reader's and their friends' posts, newest first (by
 * id, which follows creation order), older than `before`. For each author the (author_id, id) index yields at
 * most `take` older posts, and the merge keeps the best `take`: the cost grows with the number of friends,
 * never with the table. Prepared, with `take` written into the text as the list pages do: built and planned
 * per call, the posts' six-table join took longer to plan than to run.
 */
const feedStatement = (db: Db, take: number) =>
  preparedOnce(db, `feed:${take}`, (d, name) => {
    const me = sql`${sql.placeholder('viewer')}::int`
    const authors = sql`(select ${me} as uid
      union all
      select case when requester_id = ${me} then addressee_id else requester_id end
        from friendships
       where status = 'accepted' and (requester_id = ${me} or addressee_id = ${me}))`
    const ids = sql`select lp.id from ${authors} a
      cross join lateral (
        select id from posts
         where author_id = a.uid and id < ${sql.placeholder('before')}::bigint
         order by id desc limit ${sql.raw(String(take))}
      ) lp
      order by lp.id desc limit ${sql.raw(String(take))}`
    return selectPosts(d, viewerPlaceholders)
      .where(amongPicked(posts.id, ids))
      .orderBy(desc(posts.id))
      .prepare(name)
  })

/** The first page's `before`: above every post id (a 32-bit integer column; compared as a bigint). */
const AFTER_EVERY_ID = 2 ** 31

/** The actor's and their friends' posts, newest first, a page at a time (`feedStatement`). */
export async function feed(ctx: Ctx, actor: Actor, input: { limit?: number; cursor?: string }) {
  const limit = input.limit ?? 20
  const before = input.cursor ? decodeCursor(input.cursor, isIdCursor)[0] : AFTER_EVERY_ID
  const rows = await feedStatement(ctx.db, limit + 1).execute({ ...viewerValues(actor), before })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page.map((r) => toPost(ctx.config, r)),
    next_cursor: rows.length > limit && last ? encodeCursor([last.post.id]) : null,
  }
}

/** Likes a post; liking it again changes nothing. The like_count trigger adds one atomically. */
export async function likePost(ctx: Ctx, actor: Actor, postId: number): Promise<void> {
  await postOwner(ctx.db, postId)
  try {
    await ctx.db.insert(postLikes).values({ userId: actor.id, postId }).onConflictDoNothing()
  } catch (err) {
    if (pgErrorCode(err) === '23503') throw notFound('Post')
    throw err
  }
}

export async function unlikePost(ctx: Ctx, actor: Actor, postId: number): Promise<void> {
  await postOwner(ctx.db, postId)
  await ctx.db.delete(postLikes).where(and(eq(postLikes.userId, actor.id), eq(postLikes.postId, postId)))
}
