// Posts, comments and likes: request and response shapes.
import { type Static, Type } from 'typebox'
import { CursorQuery, Id, Line, NOT_BLANK, PageQuery, SortQuery, Timestamp } from '../../lib/schemas.js'

export const PostAuthor = Type.Object(
  {
    id: Id,
    username: Type.String(),
    display_name: Type.String(),
    avatar_url: Type.Union([Type.String(), Type.Null()]),
  },
  { description: 'Who wrote it (a short public profile)' },
)
export type PostAuthorT = Static<typeof PostAuthor>

export const PostEvent = Type.Union([Type.Object({ id: Id, title: Type.String() }), Type.Null()], {
  description: 'The event the post is about; null when none (or when the event was deleted)',
})

// Text of spaces (or line breaks) only is no post and no comment: 400 VALIDATION_FAILED, 'Fill this in' on the pages.
const Body = Type.String({
  minLength: 1,
  maxLength: 5000,
  pattern: NOT_BLANK,
  description:
    '1 to 5,000 characters, at least one of them visible: not a space, a line break or a character that shows nothing (a zero-width space, a direction mark …); control characters other than tab and line breaks are refused (else 400 VALIDATION_FAILED)',
})

const postFields = {
  id: Id,
  body: Type.String(),
  author: PostAuthor,
  event: PostEvent,
  like_count: Type.Integer({ minimum: 0 }),
  comment_count: Type.Integer({ minimum: 0 }),
  share_count: Type.Integer({ minimum: 0, description: 'Posts that share this one' }),
  created_at: Timestamp,
  updated_at: Timestamp,
}

// No $id on the nested shapes: one schema may not hold two copies of the same $id.
export const SharedPost = Type.Object(postFields, {
  description: 'The post a share points at (one level: its own shared_post is not expanded)',
})

export const Post = Type.Object(
  {
    ...postFields,
    shared_post: Type.Union([SharedPost, Type.Null()], {
      description: 'The shared post; null for an original post, or when the shared post was deleted',
    }),
    liked_by_me: Type.Boolean(),
  },
  { $id: 'Post' },
)
export type PostT = Static<typeof Post>
export type SharedPostT = Static<typeof SharedPost>

export const CreatePostBody = Type.Object({
  body: Body,
  event_id: Type.Optional(Id),
  shared_post_id: Type.Optional(Id),
})

export const UpdatePostBody = Type.Object({
  body: Type.Optional(Body),
  event_id: Type.Optional(Type.Union([Id, Type.Null()], { description: 'null detaches the event' })),
})

export const PostListQuery = Type.Object({
  author_id: Type.Optional(Id),
  event_id: Type.Optional(Id),
  q: Type.Optional(Line({ minLength: 1, maxLength: 100 })),
  ...PageQuery,
  sort: SortQuery(['created_at', 'like_count']),
})

export const FeedQuery = Type.Object({ ...CursorQuery })

export const Comment = Type.Object(
  {
    id: Id,
    post_id: Id,
    body: Type.String(),
    author: PostAuthor,
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Comment' },
)
export type CommentT = Static<typeof Comment>

export const CommentBody = Type.Object({ body: Body })

export const CommentListQuery = Type.Object({ ...PageQuery })
