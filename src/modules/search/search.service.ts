// Search across users, events and posts: partial and case-insensitive, closest first (pg_trgm).
import { type AnyColumn, asc, desc, or, type SQL, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { amongPicked, type Db, preparedOnce, runStatement } from '../../db/client.js'
import { posts, users } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import type { AggregatedPageRow } from '../../lib/json-text.js'
import { containsPattern } from '../../lib/schemas.js'
import { closestEventsStatement } from '../events/events.json.js'
import type { EventT } from '../events/events.schemas.js'
import { selectPosts, toPost, viewerPlaceholders, viewerValues } from '../posts/posts.queries.js'
import type { PostT } from '../posts/posts.schemas.js'
import { avatarUrlPrefix, profileColumns, toPublicUser } from '../users/users.schemas.js'
import { SEARCH_TYPES, type SearchInput, type SearchType } from './search.schemas.js'

// Users and posts are searched by prepared statements: planned afresh on every call, the posts' six-table join
// took PostgreSQL ~16 ms to plan (bench/README.md). Their values: `q` (the text lowered), `pattern` (the text as a
// LIKE pattern), `limit`, and `offset` (how many of the closest to pass over: the pages' "more matches").
const param = {
  q: sql.placeholder('q'),
  pattern: sql.placeholder('pattern'),
  limit: sql.placeholder('limit'),
  offset: sql.placeholder('offset'),
}

/**
 * A row matches when `q` is a substring of the text (so "my" finds Tommy, Amy and Sammy) or when the text
 * holds a word close to it (`<%`, word similarity ≥ pg_trgm's threshold, so "jaz fest" finds typos).
 * Both forms use the trigram GIN index on exactly `text`. Closeness: word similarity first (how well q
 * matches some part of the text), then whole-text similarity (shorter texts win), then the id.
 */
const matches = (text: SQL): SQL => or(sql`${text} like ${param.pattern}`, sql`${param.q} <% ${text}`)!

/** Closest first, for a row matched on one `text`: word similarity, then whole-text similarity, then the id. */
const closest = (text: SQL, id: AnyColumn): SQL[] => [
  desc(sql`word_similarity(${param.q}, ${text})`),
  desc(sql`similarity(${param.q}, ${text})`),
  asc(id),
]

const closestUsers = (db: Db) =>
  preparedOnce(db, 'search_users', (d, name) => {
    const username = sql`lower(${users.username})`
    const displayName = sql`lower(${users.displayName})`
    return d
      .select(profileColumns(users))
      .from(users)
      .where(matches(sql`lower(${users.username} || ' ' || ${users.displayName})`))
      .orderBy(
        desc(
          sql`greatest(word_similarity(${param.q}, ${username}), word_similarity(${param.q}, ${displayName}))`,
        ),
        desc(sql`greatest(similarity(${param.q}, ${username}), similarity(${param.q}, ${displayName}))`),
        asc(users.id),
      )
      .limit(param.limit)
      .offset(param.offset)
      .prepare(name)
  })

/**
 * Posts as GET /posts shows them (author, counts, liked_by_me). The closest are picked from the posts alone
 * first: joined before the sort, the authors, events and shared posts of every match were read (454 matches of
 * 20,000 posts for a common word).
 */
const closestPosts = (db: Db) =>
  preparedOnce(db, 'search_posts', (d, name) => {
    const body = sql`lower(${posts.body})`
    const picked = d
      .select({ id: posts.id })
      .from(posts)
      .where(matches(body))
      .orderBy(...closest(body, posts.id))
      .limit(param.limit)
      .offset(param.offset)
    return selectPosts(d, viewerPlaceholders)
      .where(amongPicked(posts.id, picked))
      .orderBy(...closest(body, posts.id))
      .prepare(name)
  })

/** The values of a search's statements. */
/** How many of each kind, after how many of the closest. */
interface Window {
  limit: number
  offset: number
}

const searchValues = (text: string, w: Window) => ({
  q: text.toLowerCase(),
  pattern: containsPattern(text),
  limit: w.limit,
  offset: w.offset,
})

async function searchUsers(ctx: Ctx, text: string, w: Window) {
  const rows = await closestUsers(ctx.db).execute(searchValues(text, w))
  return rows.map((u) => toPublicUser(ctx.config, u))
}

/** Published events, closest title first, as GET /events/{id} shows them: one prepared statement. */
async function searchEvents(ctx: Ctx, text: string, w: Window): Promise<EventT[]> {
  const { q, pattern } = searchValues(text, w)
  const [row] = await runStatement<AggregatedPageRow>(ctx.db, closestEventsStatement(w.limit), [
    avatarUrlPrefix(ctx.config),
    pattern,
    q,
    w.offset,
  ])
  return row?.data ? (JSON.parse(`[${row.data}]`) as EventT[]) : []
}

async function searchPosts(ctx: Ctx, actor: Actor, text: string, w: Window): Promise<PostT[]> {
  const rows = await closestPosts(ctx.db).execute({ ...viewerValues(actor), ...searchValues(text, w) })
  return rows.map((r) => toPost(ctx.config, r))
}

const SIGNED_IN_ONLY: readonly SearchType[] = ['users', 'posts']

/**
 * Anonymous callers search events only: asking for users or posts by name in `type` is 401; with no `type`,
 * those lists come back empty. `offset` passes over that many of the closest of each kind (the pages' "more
 * matches"; the API has `limit` alone).
 */
export async function search(ctx: Ctx, actor: Actor | null, input: SearchInput & { offset?: number }) {
  const asked = input.type ? (input.type.split(',') as SearchType[]) : undefined
  if (!actor && asked?.some((t) => SIGNED_IN_ONLY.includes(t))) {
    throw new AppError('AUTHORIZATION_REQUIRED', 'Searching users and posts needs an access token')
  }
  const wanted = new Set(asked ?? SEARCH_TYPES)
  const q = input.q.trim()
  const w = { limit: input.limit ?? 10, offset: input.offset ?? 0 }
  const [foundUsers, foundEvents, foundPosts] = await Promise.all([
    actor && wanted.has('users') ? searchUsers(ctx, q, w) : [],
    wanted.has('events') ? searchEvents(ctx, q, w) : [],
    actor && wanted.has('posts') ? searchPosts(ctx, actor, q, w) : [],
  ])
  return { users: foundUsers, events: foundEvents, posts: foundPosts }
}
