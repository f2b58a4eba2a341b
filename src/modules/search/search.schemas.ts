// GET /search: one query string, results per kind ranked by trigram closeness.
import { type Static, Type } from 'typebox'
import { NOT_BLANK } from '../../lib/schemas.js'
import { Event } from '../events/events.schemas.js'
import { Post } from '../posts/posts.schemas.js'
import { UserPublic } from '../users/users.schemas.js'

export const SEARCH_TYPES = ['users', 'events', 'posts'] as const
export type SearchType = (typeof SEARCH_TYPES)[number]

export const SearchQuery = Type.Object({
  q: Type.String({
    minLength: 1,
    maxLength: 100,
    pattern: NOT_BLANK,
    description: 'Any part of a name or title',
  }),
  type: Type.Optional(
    Type.String({
      pattern: '^(users|events|posts)(,(users|events|posts))*$',
      description: 'Comma-separated kinds to search; default all. users and posts need a token.',
    }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 10, description: 'Per kind' })),
})

export type SearchInput = Static<typeof SearchQuery>

export const SearchResults = Type.Object({
  // A copy without the $id: Event already embeds UserPublic, and one schema may define an $id only once.
  users: Type.Array(Type.Object(UserPublic.properties)),
  events: Type.Array(Event),
  posts: Type.Array(Post),
})
