// One post as pages show it (feed, profile, the post page): author, time, body, the shared post, likes,
// comments, and the actions as small forms.
import type { CommentT, PostT } from '../../modules/posts/posts.schemas.js'
import { when } from '../format.js'
import { CsrfField } from '../layout.js'
import type { PageCtx } from '../page.js'

/** A body as paragraphs (a blank line between them); a single line break inside one is kept (`.user-text`). */
function Paragraphs({ text }: { text: string }): JSX.Element {
  return (
    <>
      {text.split(/(?:\r?\n){2,}/).map((p) => (
        <p class="user-text" dir="auto" safe>
          {p}
        </p>
      ))}
    </>
  )
}

type Reader = { id: number; role: string } | null

/** Who may edit, or delete, a post or a comment: its author or an admin (as the API's PATCH and DELETE). */
export const mayEdit = (user: Reader, authorId: number) =>
  !!user && (user.id === authorId || user.role === 'admin')

/** Who may delete a comment: also the post's author (as the API's DELETE /comments/{id}). */
export const mayDeleteComment = (user: Reader, c: CommentT, post: PostT) =>
  mayEdit(user, c.author.id) || (!!user && user.id === post.author.id)

export function PostCard(p: { ctx: PageCtx; post: PostT; link?: boolean }): JSX.Element {
  const post = p.post
  const user = p.ctx.user
  const mine = mayEdit(user, post.author.id)
  return (
    <article class="post" id={`post-${post.id}`}>
      <header>
        <a href={`/users/${encodeURIComponent(post.author.username)}`} safe>
          {post.author.display_name}
        </a>{' '}
        <small>
          <a href={`/posts/${post.id}`}>
            <time datetime={post.created_at} safe>
              {when(post.created_at)}
            </time>
          </a>
        </small>
        {post.event ? (
          <>
            {' · about '}
            <a href={`/events/${post.event.id}`} safe>
              {post.event.title}
            </a>
          </>
        ) : (
          ''
        )}
      </header>
      <Paragraphs text={post.body} />
      {post.shared_post ? (
        <blockquote>
          <Paragraphs text={post.shared_post.body} />
          <footer>
            <a href={`/posts/${post.shared_post.id}`} safe>
              {`— ${post.shared_post.author.display_name}`}
            </a>
          </footer>
        </blockquote>
      ) : (
        ''
      )}
      <footer class="post-actions">
        <form
          method="post"
          action={`/posts/${post.id}/${post.liked_by_me ? 'unlike' : 'like'}`}
          class="inline"
        >
          <CsrfField token={p.ctx.csrf} />
          <button
            type="submit"
            class="secondary outline"
            aria-pressed={post.liked_by_me ? 'true' : 'false'}
            safe
          >
            {`${post.liked_by_me ? 'Liked' : 'Like'} (${post.like_count})`}
          </button>
        </form>{' '}
        <a href={`/posts/${post.id}#comments`} safe>
          {`Comments (${post.comment_count})`}
        </a>{' '}
        <form method="post" action={`/posts/${post.id}/share`} class="inline">
          <CsrfField token={p.ctx.csrf} />
          <button type="submit" class="secondary outline" safe>
            {`Share (${post.share_count})`}
          </button>
        </form>
        {mine ? (
          <>
            {' '}
            <a href={`/posts/${post.id}/edit`}>Edit</a> <a href={`/posts/${post.id}/delete`}>Delete</a>
          </>
        ) : (
          ''
        )}
      </footer>
    </article>
  )
}
