// Comments on posts: list (oldest first), add, edit (author or admin), delete (author, post author or admin).
import { asc, count, eq } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { pgErrorCode } from '../../db/errors.js'
import { comments, posts, users } from '../../db/schema/index.js'
import { forbidden, notFound } from '../../lib/errors.js'
import { type PageParams, toPage } from '../../lib/pagination.js'
import { authorColumns } from '../users/users.schemas.js'
import { toAuthor } from './posts.queries.js'
import type { CommentT } from './posts.schemas.js'

function selectComments(ctx: Ctx) {
  return ctx.db
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

async function getComment(ctx: Ctx, id: number): Promise<CommentT> {
  const [row] = await selectComments(ctx).where(eq(comments.id, id))
  if (!row) throw notFound('Comment')
  return toComment(ctx, row)
}

async function assertPostExists(ctx: Ctx, postId: number): Promise<void> {
  const [row] = await ctx.db.select({ id: posts.id }).from(posts).where(eq(posts.id, postId))
  if (!row) throw notFound('Post')
}

export async function listComments(ctx: Ctx, postId: number, page: PageParams) {
  await assertPostExists(ctx, postId)
  const where = eq(comments.postId, postId)
  const [rows, [total]] = await Promise.all([
    selectComments(ctx).where(where).orderBy(asc(comments.id)).limit(page.perPage).offset(page.offset),
    ctx.db.select({ n: count() }).from(comments).where(where),
  ])
  return toPage(
    rows.map((r) => toComment(ctx, r)),
    total?.n ?? 0,
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
