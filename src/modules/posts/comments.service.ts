// Comments on posts: list (oldest first), add, edit (author or admin), delete (author, post author or admin).
import { asc, eq, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { type Db, preparedPage } from '../../db/client.js'
import { pgErrorCode } from '../../db/errors.js'
import { comments, posts, users } from '../../db/schema/index.js'
import { forbidden, notFound } from '../../lib/errors.js'
import { type PageParams, toPage } from '../../lib/pagination.js'
import { authorColumns } from '../users/users.schemas.js'
import { toAuthor } from './posts.queries.js'
import type { CommentT } from './posts.schemas.js'

function selectComments(db: Db) {
  return db
    .select({
      comment: comments,
      author: authorColumns(users),
    })
    .from(comments)
    .innerJoin(users, eq(users.id, comments.authorId))
    .$dynamic()
}

type CommentRow = Awaited<ReturnType<ReturnType<typeof selectComments>['execute']>>[number]

function toComment(ctx: Ctx, row: CommentRow): CommentT {
  const c = row.comment
  return {
    id: c.id,
    post_id: c.postId,
    body: c.body,
    author: toAuthor(ctx.config, row.author),
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  }
}

export async function getComment(ctx: Ctx, id: number): Promise<CommentT> {
  const [row] = await selectComments(ctx.db).where(eq(comments.id, id))
  if (!row) throw notFound('Comment')
  return toComment(ctx, row)
}

async function assertPostExists(ctx: Ctx, postId: number): Promise<void> {
  const [row] = await ctx.db.select({ id: posts.id }).from(posts).where(eq(posts.id, postId))
  if (!row) throw notFound('Post')
}

/**
 * A post's page of comments and, in one statement, the post (no row: 404) with how many comments it has
 * (`preparedPage`).
 */
export async function listComments(ctx: Ctx, postId: number, page: PageParams) {
  const { rows, total } = await preparedPage(ctx.db, 'comments', page, { post: postId }, (d) => ({
    rows: selectComments(d)
      .where(eq(comments.postId, sql.placeholder('post')))
      .orderBy(asc(comments.id)),
    total: d
      .select({
        // Written out: drizzle leaves the columns of a one-table select unqualified, and `post_id = id`
        // would compare the comment's own columns.
        n: sql<number>`(select count(*)::int from comments c where c.post_id = posts.id)`,
      })
      .from(posts)
      .where(eq(posts.id, sql.placeholder('post')))
      .$dynamic(),
  }))
  const [post] = total
  if (!post) throw notFound('Post')
  return toPage(
    rows.map((r) => toComment(ctx, r)),
    post.n,
    page,
  )
}

export async function createComment(ctx: Ctx, actor: Actor, postId: number, body: string): Promise<CommentT> {
  await assertPostExists(ctx, postId)
  try {
    const [row] = await ctx.db
      .insert(comments)
      .values({ postId, authorId: actor.id, body })
      .returning({ id: comments.id })
    return getComment(ctx, row!.id)
  } catch (err) {
    // The post was deleted between the check and the insert.
    if (pgErrorCode(err) === '23503') throw notFound('Post')
    throw err
  }
}

async function commentAndPostAuthors(ctx: Ctx, id: number) {
  const [row] = await ctx.db
    .select({ authorId: comments.authorId, postAuthorId: posts.authorId })
    .from(comments)
    .innerJoin(posts, eq(posts.id, comments.postId))
    .where(eq(comments.id, id))
  if (!row) throw notFound('Comment')
  return row
}

export async function updateComment(ctx: Ctx, actor: Actor, id: number, body: string): Promise<CommentT> {
  const { authorId } = await commentAndPostAuthors(ctx, id)
  if (authorId !== actor.id && actor.role !== 'admin')
    throw forbidden('Only the author may edit this comment')
  await ctx.db.update(comments).set({ body, updatedAt: new Date() }).where(eq(comments.id, id))
  return getComment(ctx, id)
}

export async function deleteComment(ctx: Ctx, actor: Actor, id: number): Promise<void> {
  const { authorId, postAuthorId } = await commentAndPostAuthors(ctx, id)
  if (authorId !== actor.id && postAuthorId !== actor.id && actor.role !== 'admin') {
    throw forbidden('Only the comment author, the post author or an admin may delete this comment')
  }
  await ctx.db.delete(comments).where(eq(comments.id, id))
}
