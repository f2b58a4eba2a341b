// The social side as pages: the feed, a post with its comments, profiles with the friend button, and the
// friends page. Members only; every action is a small form calling the same service as the JSON route.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError, notFound } from '../../lib/errors.js'
import { type Page, pageParams } from '../../lib/pagination.js'
import { Id } from '../../lib/schemas.js'
import {
  acceptFriendRequest,
  cancelFriendRequest,
  declineFriendRequest,
  listFriendRequests,
  listFriends,
  type Relation,
  relationWith,
  sendFriendRequest,
  unfriend,
} from '../../modules/friends/friends.service.js'
import { createComment, listComments } from '../../modules/posts/comments.service.js'
import type { CommentT, PostT } from '../../modules/posts/posts.schemas.js'
import { CommentBody, CreatePostBody } from '../../modules/posts/posts.schemas.js'
import {
  createPost,
  feed,
  getPost,
  likePost,
  listPosts,
  unlikePost,
} from '../../modules/posts/posts.service.js'
import type { UserPublicT } from '../../modules/users/users.schemas.js'
import { getUserByUsername } from '../../modules/users/users.service.js'
import { attr, ownPath, when } from '../format.js'
import { CsrfField, Field, FormError, Layout, Pager } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  pageNumberOf,
  pagesHref,
  parseForm,
  requestedPage,
  requireUser,
  safeNext,
  seeOther,
  sendHtml,
  wholeNumberOf,
} from '../page.js'
import type { WebUser } from '../session.js'
import { mayDeleteComment, mayEdit, PostCard } from './post-card.js'

const IdParams = { params: Type.Object({ id: Id }) }
/** Comments on a post's page, oldest first, a page at a time. */
const COMMENTS_PER_PAGE = 50
/** Posts on a profile, newest first, a page at a time. */
const PROFILE_POSTS_PER_PAGE = 20
/** Each list of /friends (requests for you, your friends, requests you sent), a page at a time. */
const FRIENDS_PER_PAGE = 50
const UsernameParams = { params: Type.Object({ username: Type.String({ minLength: 1, maxLength: 50 }) }) }

function NewPostForm(p: { ctx: PageCtx; errors: FormErrors; value?: string }): JSX.Element {
  return (
    <form method="post" action="/feed" novalidate>
      <CsrfField token={p.ctx.csrf} />
      <FormError message={p.errors.form} />
      <Field
        name="body"
        label="Write a post"
        type="textarea"
        value={p.value}
        error={p.errors.fields.body}
        maxlength={5000}
        required
      />
      <button type="submit">Post</button>
    </form>
  )
}

function FeedPage(p: {
  ctx: PageCtx
  posts: PostT[]
  next: string | null
  errors: FormErrors
  value?: string
}) {
  return (
    <Layout ctx={p.ctx} title="Feed">
      <h1>Feed</h1>
      <NewPostForm ctx={p.ctx} errors={p.errors} value={p.value} />
      {p.posts.length === 0 ? <p>No posts yet: yours and your friends' posts appear here.</p> : ''}
      {p.posts.map((post) => (
        <PostCard ctx={p.ctx} post={post} />
      ))}
      {p.next ? (
        <p>
          <a href={`/feed?cursor=${encodeURIComponent(p.next)}`}>Older posts</a>
        </p>
      ) : (
        ''
      )}
    </Layout>
  )
}

function PostPage(p: {
  ctx: PageCtx
  post: PostT
  comments: Page<CommentT>
  errors: FormErrors
  /** A refused comment, as typed. */
  value?: string
}) {
  // Above and below the comments; each its own name, as two landmarks of one name would not be told apart.
  const pager = (where: string) => (
    <Pager
      page={p.comments.page}
      totalPages={p.comments.total_pages}
      href={(n) => `/posts/${p.post.id}?page=${n}#comments`}
      words={['← Earlier comments', 'Later comments →']}
      label={`Pages of comments, ${where}`}
    />
  )
  return (
    <Layout ctx={p.ctx} title={`Post by ${p.post.author.display_name}`}>
      <h1 class="visually-hidden" safe>{`Post by ${p.post.author.display_name}`}</h1>
      <PostCard ctx={p.ctx} post={p.post} />
      <section id="comments" aria-labelledby="comments-heading">
        <h2 id="comments-heading">Comments</h2>
        {p.comments.total === 0 ? <p>No comments yet.</p> : ''}
        {pager('above')}
        <ul>
          {p.comments.data.map((c) => (
            <li id={`comment-${c.id}`}>
              <a href={`/users/${encodeURIComponent(c.author.username)}`} safe>
                {c.author.display_name}
              </a>{' '}
              <small safe>{when(c.created_at)}</small>
              <p class="user-text" dir="auto" safe>
                {c.body}
              </p>
              {mayEdit(p.ctx.user, c.author.id) ? <a href={`/comments/${c.id}/edit`}>Edit</a> : ''}{' '}
              {mayDeleteComment(p.ctx.user, c, p.post) ? <a href={`/comments/${c.id}/delete`}>Delete</a> : ''}
            </li>
          ))}
        </ul>
        {pager('below')}
        <form method="post" action={`/posts/${p.post.id}/comments`} novalidate>
          <CsrfField token={p.ctx.csrf} />
          {/* A refusal shows this page of comments again, with what was typed. */}
          <input type="hidden" name="page" value={String(p.comments.page)} />
          <FormError message={p.errors.form} />
          <Field
            name="body"
            label="Add a comment"
            type="textarea"
            value={p.value}
            error={p.errors.fields.body}
            maxlength={5000}
            required
          />
          <button type="submit">Comment</button>
        </form>
      </section>
    </Layout>
  )
}

function FriendButton(p: { ctx: PageCtx; user: UserPublicT; relation: Relation }): JSX.Element {
  const r = p.relation
  const back = `/users/${encodeURIComponent(p.user.username)}`
  const action = (url: string, label: string, secondary = false) => (
    <form method="post" action={url} class="inline">
      <CsrfField token={p.ctx.csrf} />
      <input type="hidden" name="next" value={attr(back)} />
      <input type="hidden" name="user_id" value={String(p.user.id)} />
      <button type="submit" class={secondary ? 'secondary' : undefined} safe>
        {label}
      </button>
    </form>
  )
  // A <div>, not a <p>: a form cannot sit inside a paragraph (the parser would close it before the button).
  switch (r.kind) {
    case 'self':
      return <a href="/settings">Edit your profile</a>
    case 'friends':
      return (
        <div>
          Friends · <a href={`/messages/${encodeURIComponent(p.user.username)}`}>Send a message</a>{' '}
          {action('/friends/remove', 'Unfriend', true)}
        </div>
      )
    case 'incoming':
      return (
        <div>
          Wants to be your friend. {action(`/friend-requests/${r.requestId}/accept`, 'Accept')}{' '}
          {action(`/friend-requests/${r.requestId}/decline`, 'Decline', true)}
        </div>
      )
    case 'outgoing':
      return (
        <div>
          Friend request sent. {action(`/friend-requests/${r.requestId}/cancel`, 'Cancel request', true)}
        </div>
      )
    default:
      return action('/friends/request', 'Add friend')
  }
}

function ProfilePage(p: { ctx: PageCtx; user: UserPublicT; relation: Relation; posts: Page<PostT> }) {
  const u = p.user
  return (
    <Layout ctx={p.ctx} title={u.display_name} description={u.bio || undefined}>
      <header class="profile">
        {u.avatar_url ? <img class="avatar" src={ownPath(u.avatar_url)} alt="" width="64" height="64" /> : ''}
        <h1 safe>{u.display_name}</h1>
        <p class="meta" safe>{`@${u.username}`}</p>
        {u.bio ? (
          <p class="user-text" dir="auto" safe>
            {u.bio}
          </p>
        ) : (
          ''
        )}
        <FriendButton ctx={p.ctx} user={u} relation={p.relation} />
      </header>
      <h2>Posts</h2>
      {p.posts.total === 0 ? <p>No posts yet.</p> : ''}
      {p.posts.data.map((post) => (
        <PostCard ctx={p.ctx} post={post} />
      ))}
      <Pager
        page={p.posts.page}
        totalPages={p.posts.total_pages}
        href={(n) => `/users/${encodeURIComponent(u.username)}?page=${n}`}
        words={['← Newer posts', 'Older posts →']}
        label="Pages of posts"
      />
    </Layout>
  )
}

function PersonLink({ user }: { user: { username: string; display_name: string } }): JSX.Element {
  return (
    <a href={`/users/${encodeURIComponent(user.username)}`} safe>
      {`${user.display_name} (@${user.username})`}
    </a>
  )
}

type Requests = Awaited<ReturnType<typeof listFriendRequests>>

function FriendsPage(p: {
  ctx: PageCtx
  friends: Page<UserPublicT>
  incoming: Requests
  outgoing: Requests
}) {
  const pages = { incoming: p.incoming.page, friends: p.friends.page, outgoing: p.outgoing.page }
  const pager = (param: keyof typeof pages, list: Page<unknown>, label: string) => (
    <Pager
      page={list.page}
      totalPages={list.total_pages}
      href={(n) => pagesHref('/friends', pages, param, n)}
      label={label}
    />
  )
  // Each answer comes back to the pages shown.
  const here = pagesHref('/friends', pages, 'friends', pages.friends)
  const form = (url: string, label: string) => (
    <form method="post" action={url} class="inline">
      <CsrfField token={p.ctx.csrf} />
      <input type="hidden" name="next" value={attr(here)} />
      <button type="submit" class="secondary outline" safe>
        {label}
      </button>
    </form>
  )
  return (
    <Layout ctx={p.ctx} title="Friends">
      <h1>Friends</h1>
      <p>
        Find people with <a href="/search">search</a>.
      </p>
      <h2>Requests for you</h2>
      {p.incoming.total === 0 ? <p>None.</p> : ''}
      <ul>
        {p.incoming.data.map((r) => (
          <li>
            <PersonLink user={r.requester} /> {form(`/friend-requests/${r.id}/accept`, 'Accept')}{' '}
            {form(`/friend-requests/${r.id}/decline`, 'Decline')}
          </li>
        ))}
      </ul>
      {pager('incoming', p.incoming, 'Pages of requests for you')}
      <h2>Your friends</h2>
      {p.friends.total === 0 ? <p>No friends yet.</p> : ''}
      <ul>
        {p.friends.data.map((f) => (
          <li>
            <PersonLink user={f} /> · <a href={`/messages/${encodeURIComponent(f.username)}`}>Message</a>
          </li>
        ))}
      </ul>
      {pager('friends', p.friends, 'Pages of your friends')}
      <h2>Requests you sent</h2>
      {p.outgoing.total === 0 ? <p>None.</p> : ''}
      <ul>
        {p.outgoing.data.map((r) => (
          <li>
            <PersonLink user={r.addressee} /> {form(`/friend-requests/${r.id}/cancel`, 'Cancel')}
          </li>
        ))}
      </ul>
      {pager('outgoing', p.outgoing, 'Pages of requests you sent')}
    </Layout>
  )
}

function userIdOf(req: FastifyRequest): number {
  const id = wholeNumberOf((req.body as Record<string, unknown> | undefined)?.user_id)
  if (!id) throw notFound('User')
  return id
}
const backTo = (req: FastifyRequest, fallback: string) =>
  safeNext((req.body as Record<string, string> | undefined)?.next, fallback)

export async function socialPages(app: FastifyInstance) {
  const { ctx } = app

  /** A POST that runs one action as the member and goes back (303) with a flash. */
  function action<P>(
    url: string,
    schema: object,
    run: (user: WebUser, params: P, req: FastifyRequest) => Promise<unknown>,
    done: {
      /** Said once it is done; a function of what `run` returned when that decides the words. */
      message: string | ((result: unknown) => string)
      back: (params: P, req: FastifyRequest) => string
    },
  ) {
    app.post(url, { schema: { hide: true, ...schema } }, async (req: FastifyRequest, reply: FastifyReply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const params = req.params as P
      let result: unknown
      try {
        result = await run(user, params, req)
      } catch (err) {
        // A button pressed twice, or on a page drawn before the state changed (a request already sent, already
        // friends): the reason on the page it came from, not a bare "Conflict" page.
        if (!(err instanceof AppError) || err.status !== 409) throw err
        flash(reply, 'error', err.message)
        return seeOther(reply, done.back(params, req))
      }
      flash(reply, 'success', typeof done.message === 'string' ? done.message : done.message(result))
      return seeOther(reply, done.back(params, req))
    })
  }

  async function renderFeed(
    req: FastifyRequest,
    reply: FastifyReply,
    user: WebUser,
    errors = NO_ERRORS,
    value?: string,
  ) {
    const cursor = (req.query as { cursor?: string } | undefined)?.cursor
    const page = await feed(ctx, user, { limit: 20, cursor: typeof cursor === 'string' ? cursor : undefined })
    const status = errors === NO_ERRORS ? 200 : FORM_INVALID
    return sendHtml(
      req,
      reply,
      <FeedPage
        ctx={pageCtx(req, reply)}
        posts={page.data}
        next={page.next_cursor}
        errors={errors}
        value={value}
      />,
      status,
    )
  }

  app.get('/feed', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    return user ? renderFeed(req, reply, user) : reply
  })

  app.post('/feed', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const form = parseForm<{ body: string }>(CreatePostBody, req.body)
    const value = (req.body as Record<string, string>).body
    if (!form.ok) return renderFeed(req, reply, user, form.errors, value)
    try {
      await createPost(ctx, user, form.value)
    } catch (err) {
      return renderFeed(req, reply, user, formErrorsOf(err), value)
    }
    flash(reply, 'success', 'Posted.')
    return seeOther(reply, '/feed')
  })

  /** A post with a page of its comments: the one asked for with `?page=`, or `page` (a refused comment's). */
  async function renderPost(
    req: FastifyRequest,
    reply: FastifyReply,
    user: WebUser,
    id: number,
    errors = NO_ERRORS,
    value?: string,
    page = requestedPage(req, COMMENTS_PER_PAGE),
  ) {
    const [post, comments] = await Promise.all([getPost(ctx, user, id), listComments(ctx, id, page)])
    return sendHtml(
      req,
      reply,
      <PostPage ctx={pageCtx(req, reply)} post={post} comments={comments} errors={errors} value={value} />,
      errors === NO_ERRORS ? 200 : FORM_INVALID,
    )
  }

  app.get('/posts/:id', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    return user ? renderPost(req, reply, user, (req.params as { id: number }).id) : reply
  })

  app.post('/posts/:id/comments', { schema: { hide: true, ...IdParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const { id } = req.params as { id: number }
    const sent = req.body as Record<string, string | undefined>
    const form = parseForm<{ body: string }>(CommentBody, req.body)
    if (!form.ok) {
      const page = pageParams({ page: pageNumberOf(sent.page), per_page: COMMENTS_PER_PAGE })
      return renderPost(req, reply, user, id, form.errors, sent.body, page)
    }
    const comment = await createComment(ctx, user, id, form.value.body)
    // To the comment, on the last page, where the newest comments are.
    const { total } = await listComments(ctx, id, pageParams({ page: 1, per_page: 1 }))
    const last = Math.max(Math.ceil(total / COMMENTS_PER_PAGE), 1)
    flash(reply, 'success', 'Comment added.')
    return seeOther(reply, `/posts/${id}?page=${last}#comment-${comment.id}`)
  })

  // Back to the post where it was, not the top of a long feed: the page scrolls to its card.
  const postBack = (p: { id: number }, req: FastifyRequest) => {
    const referer = req.headers.referer
    const path = referer ? referer.replace(/^https?:\/\/[^/]+/, '') : ''
    return `${safeNext(path, `/posts/${p.id}`).replace(/#.*$/, '')}#post-${p.id}`
  }
  action<{ id: number }>('/posts/:id/like', IdParams, (u, p) => likePost(ctx, u, p.id), {
    message: 'Liked.',
    back: postBack,
  })
  action<{ id: number }>('/posts/:id/unlike', IdParams, (u, p) => unlikePost(ctx, u, p.id), {
    message: 'Like removed.',
    back: postBack,
  })
  action<{ id: number }>(
    '/posts/:id/share',
    IdParams,
    (u, p) => createPost(ctx, u, { body: 'Shared a post', shared_post_id: p.id }),
    { message: 'Shared to your feed.', back: () => '/feed' },
  )

  app.get('/users/:username', { schema: { hide: true, ...UsernameParams } }, async (req, reply) => {
    const me = requireUser(req, reply)
    if (!me) return reply
    const user = await getUserByUsername(ctx, (req.params as { username: string }).username)
    const [relation, posts] = await Promise.all([
      relationWith(ctx, me, user.id),
      listPosts(ctx, me, { author_id: user.id }, requestedPage(req, PROFILE_POSTS_PER_PAGE)),
    ])
    return sendHtml(
      req,
      reply,
      <ProfilePage ctx={pageCtx(req, reply)} user={user} relation={relation} posts={posts} />,
    )
  })

  app.get('/friends', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const [friends, incoming, outgoing] = await Promise.all([
      listFriends(ctx, user, requestedPage(req, FRIENDS_PER_PAGE, 'friends')),
      listFriendRequests(ctx, user, 'incoming', requestedPage(req, FRIENDS_PER_PAGE, 'incoming')),
      listFriendRequests(ctx, user, 'outgoing', requestedPage(req, FRIENDS_PER_PAGE, 'outgoing')),
    ])
    return sendHtml(
      req,
      reply,
      <FriendsPage ctx={pageCtx(req, reply)} friends={friends} incoming={incoming} outgoing={outgoing} />,
    )
  })

  const friendsBack = (_p: unknown, req: FastifyRequest) => backTo(req, '/friends')
  action<unknown>('/friends/request', {}, (u, _p, req) => sendFriendRequest(ctx, u, userIdOf(req)), {
    // Asking someone who had asked you first (a page drawn before their request came) accepts theirs.
    message: (sent) =>
      (sent as { status?: string }).status === 'accepted' ? 'You are now friends.' : 'Friend request sent.',
    back: friendsBack,
  })
  action<unknown>('/friends/remove', {}, (u, _p, req) => unfriend(ctx, u, userIdOf(req)), {
    message: 'You are no longer friends.',
    back: friendsBack,
  })
  action<{ id: number }>(
    '/friend-requests/:id/accept',
    IdParams,
    (u, p) => acceptFriendRequest(ctx, u, p.id),
    {
      message: 'You are now friends.',
      back: friendsBack,
    },
  )
  action<{ id: number }>(
    '/friend-requests/:id/decline',
    IdParams,
    (u, p) => declineFriendRequest(ctx, u, p.id),
    {
      message: 'Request declined.',
      back: friendsBack,
    },
  )
  action<{ id: number }>(
    '/friend-requests/:id/cancel',
    IdParams,
    (u, p) => cancelFriendRequest(ctx, u, p.id),
    {
      message: 'Request cancelled.',
      back: friendsBack,
    },
  )
}
