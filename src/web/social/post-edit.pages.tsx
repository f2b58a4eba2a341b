// A post's and a comment's own pages for changing them: edit (the author or an admin) and delete (for a comment
// also the post's author). A delete is asked once more on its own page, with what goes with it, so one stray
// click on a feed loses nothing; the POST is the answer to that question.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { forbidden } from '../../lib/errors.js'
import { Id } from '../../lib/schemas.js'
import { deleteComment, getComment, updateComment } from '../../modules/posts/comments.service.js'
import type { CommentT, PostT } from '../../modules/posts/posts.schemas.js'
// A post's text and a comment's have the same rules (`Body`): one form for both.
import { CommentBody as TextForm } from '../../modules/posts/posts.schemas.js'
import { deletePost, getPost, updatePost } from '../../modules/posts/posts.service.js'
import { when } from '../format.js'
import { CsrfField, Field, FormError, Layout } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import type { WebUser } from '../session.js'
import { mayDeleteComment, mayEdit } from './post-card.js'

const IdParams = { params: Type.Object({ id: Id }) }

const commentAnchor = (c: { id: number; post_id: number }) => `/posts/${c.post_id}#comment-${c.id}`

function EditPage(p: {
  ctx: PageCtx
  title: string
  action: string
  back: string
  value: string
  errors: FormErrors
}) {
  return (
    <Layout ctx={p.ctx} title={p.title}>
      <h1 safe>{p.title}</h1>
      <form method="post" action={p.action} novalidate>
        <CsrfField token={p.ctx.csrf} />
        <FormError message={p.errors.form} />
        <Field
          name="body"
          label="Text"
          type="textarea"
          value={p.value}
          error={p.errors.fields.body}
          maxlength={5000}
          required
        />
        <button type="submit">Save</button>
      </form>
      <p>
        <a href={p.back}>Keep it as it was</a>
      </p>
    </Layout>
  )
}

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`

/** What a post's deletion takes with it (its comments and likes) and leaves (its shares, without it). */
function whatGoesWith(post: PostT): string {
  const parts = [
    post.comment_count > 0 ? count(post.comment_count, 'comment') : '',
    post.like_count > 0 ? count(post.like_count, 'like') : '',
  ].filter(Boolean)
  // "Its 1 comment goes", "Its 2 likes go", "Its 1 comment and 1 like go".
  const singular = parts.length === 1 && post.comment_count + post.like_count === 1
  const goes = parts.length > 0 ? `Its ${parts.join(' and ')} ${singular ? 'goes' : 'go'} with it. ` : ''
  const shares =
    post.share_count > 0
      ? `${post.share_count === 1 ? 'The share' : `The ${post.share_count} shares`} of it stay${post.share_count === 1 ? 's' : ''}, without it. `
      : ''
  return `${goes}${shares}It cannot be undone.`
}

/** What is about to be deleted, as a quote: its text, who wrote it and when. */
function Quote({ of }: { of: CommentT | PostT }): JSX.Element {
  return (
    <blockquote>
      <p class="user-text" dir="auto" safe>
        {of.body}
      </p>
      <footer safe>{`— ${of.author.display_name}, ${when(of.created_at)}`}</footer>
    </blockquote>
  )
}

function DeletePage(p: {
  ctx: PageCtx
  title: string
  action: string
  back: string
  what: string
  button: string
  of: CommentT | PostT
}) {
  return (
    <Layout ctx={p.ctx} title={p.title}>
      <h1 safe>{p.title}</h1>
      <Quote of={p.of} />
      <p safe>{p.what}</p>
      <form method="post" action={p.action}>
        <CsrfField token={p.ctx.csrf} />
        <button type="submit" class="contrast" safe>
          {p.button}
        </button>
      </form>
      <p>
        <a href={p.back}>Keep it</a>
      </p>
    </Layout>
  )
}

export async function postEditPages(app: FastifyInstance) {
  const { ctx } = app

  /** The post, for its author or an admin; 403 for any other member (every post is visible to them). */
  async function ownPost(user: WebUser, id: number): Promise<PostT> {
    const post = await getPost(ctx, user, id)
    if (!mayEdit(user, post.author.id)) throw forbidden('Only the author may change this post')
    return post
  }

  async function editable(user: WebUser, id: number): Promise<CommentT> {
    const comment = await getComment(ctx, id)
    if (!mayEdit(user, comment.author.id)) throw forbidden('Only the author may edit this comment')
    return comment
  }

  async function deletable(user: WebUser, id: number): Promise<{ comment: CommentT; post: PostT }> {
    const comment = await getComment(ctx, id)
    const post = await getPost(ctx, user, comment.post_id)
    if (!mayDeleteComment(user, comment, post))
      throw forbidden('Only the comment author, the post author or an admin may delete this comment')
    return { comment, post }
  }

  type EditForm = { title: string; action: string; back: string }
  const postForm = (post: PostT): EditForm => ({
    title: 'Edit the post',
    action: `/posts/${post.id}/edit`,
    back: `/posts/${post.id}`,
  })
  const commentForm = (comment: CommentT): EditForm => ({
    title: 'Edit the comment',
    action: `/comments/${comment.id}/edit`,
    back: commentAnchor(comment),
  })
  const showEdit = (
    req: FastifyRequest,
    reply: FastifyReply,
    form: EditForm,
    value: string,
    errors = NO_ERRORS,
  ) =>
    sendHtml(
      req,
      reply,
      <EditPage ctx={pageCtx(req, reply)} {...form} value={value} errors={errors} />,
      errors === NO_ERRORS ? 200 : FORM_INVALID,
    )

  /** The typed text, as typed (a field that is not text is shown empty). */
  const typed = (req: FastifyRequest) => {
    const body = (req.body as Record<string, unknown> | undefined)?.body
    return typeof body === 'string' ? body : ''
  }

  app.get('/posts/:id/edit', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const post = await ownPost(user, (req.params as { id: number }).id)
    return showEdit(req, reply, postForm(post), post.body)
  })

  app.post('/posts/:id/edit', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const post = await ownPost(user, (req.params as { id: number }).id)
    const form = parseForm<{ body: string }>(TextForm, req.body)
    if (!form.ok) return showEdit(req, reply, postForm(post), typed(req), form.errors)
    try {
      await updatePost(ctx, user, post.id, { body: form.value.body })
    } catch (err) {
      return showEdit(req, reply, postForm(post), typed(req), formErrorsOf(err))
    }
    flash(reply, 'success', 'Post saved.')
    return seeOther(reply, `/posts/${post.id}`)
  })

  app.get('/posts/:id/delete', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const post = await ownPost(user, (req.params as { id: number }).id)
    return sendHtml(
      req,
      reply,
      <DeletePage
        ctx={pageCtx(req, reply)}
        title="Delete this post?"
        action={`/posts/${post.id}/delete`}
        back={`/posts/${post.id}`}
        what={whatGoesWith(post)}
        button="Delete the post"
        of={post}
      />,
    )
  })

  // Without the question's page (a form sent by hand, or the old one-click button): the POST is the answer.
  app.post('/posts/:id/delete', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    await deletePost(ctx, user, (req.params as { id: number }).id)
    flash(reply, 'success', 'Post deleted.')
    return seeOther(reply, '/feed')
  })

  app.get('/comments/:id/edit', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const comment = await editable(user, (req.params as { id: number }).id)
    return showEdit(req, reply, commentForm(comment), comment.body)
  })

  app.post('/comments/:id/edit', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const comment = await editable(user, (req.params as { id: number }).id)
    const form = parseForm<{ body: string }>(TextForm, req.body)
    if (!form.ok) return showEdit(req, reply, commentForm(comment), typed(req), form.errors)
    await updateComment(ctx, user, comment.id, form.value.body)
    flash(reply, 'success', 'Comment saved.')
    return seeOther(reply, commentAnchor(comment))
  })

  app.get('/comments/:id/delete', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { comment } = await deletable(user, (req.params as { id: number }).id)
    return sendHtml(
      req,
      reply,
      <DeletePage
        ctx={pageCtx(req, reply)}
        title="Delete this comment?"
        action={`/comments/${comment.id}/delete`}
        back={commentAnchor(comment)}
        what="It cannot be undone."
        button="Delete the comment"
        of={comment}
      />,
    )
  })

  app.post('/comments/:id/delete', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { comment } = await deletable(user, (req.params as { id: number }).id)
    await deleteComment(ctx, user, comment.id)
    flash(reply, 'success', 'Comment deleted.')
    return seeOther(reply, `/posts/${comment.post_id}#comments`)
  })
}
