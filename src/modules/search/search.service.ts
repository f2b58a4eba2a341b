// Search across users, events and posts: partial and case-insensitive, closest first (pg_trgm).
import { type AnyColumn, and, asc, desc, eq, or, type SQL, sql } from 'drizzle-orm'
import type { Actor, Ctx } from '../../context.js'
import { events, posts, users } from '../../db/schema/index.js'
import { AppError } from '../../lib/errors.js'
import { containsPattern } from '../../lib/schemas.js'
import { eventColumns, toEvent } from '../events/events.queries.js'
import { selectPosts, toPost, viewerOf } from '../posts/posts.queries.js'
import type { PostT } from '../posts/posts.schemas.js'
import { toPublicUser } from '../users/users.schemas.js'
import { SEARCH_TYPES, type SearchInput, type SearchType } from './search.schemas.js'

/**
 * A row matches when `q` is a substring of the text (so "my" finds Tommy, Amy and Sammy) or when the text
 * holds a word close to it (`<%`, word similarity ≥ pg_trgm's threshold, so "jaz fest" finds typos).
 * Both forms use the trigram GIN index on exactly `text`. Closeness: word similarity first (how well q
 * matches some part of the text), then whole-text similarity (shorter texts win), then the id.
 */
function matches(q: string, text: SQL): SQL {
  return or(sql`${text} like ${containsPattern(q)}`, sql`${q.toLowerCase()} <% ${text}`)!
}

/** Closest first, for a row matched on one `text`: word similarity, then whole-text similarity, then the id. */
function closest(q: string, text: SQL, id: AnyColumn): SQL[] {
  const lower = q.toLowerCase()
  return [desc(sql`word_similarity(${lower}, ${text})`), desc(sql`similarity(${lower}, ${text})`), asc(id)]
}

async function searchUsers(ctx: Ctx, q: string, limit: number) {
  const lower = q.toLowerCase()
  const username = sql`lower(${users.username})`
  const displayName = sql`lower(${users.displayName})`
  const rows = await ctx.db
    .select()
    .from(users)
    .where(matches(q, sql`lower(${users.username} || ' ' || ${users.displayName})`))
    .orderBy(
      desc(sql`greatest(word_similarity(${lower}, ${username}), word_similarity(${lower}, ${displayName}))`),
      desc(sql`greatest(similarity(${lower}, ${username}), similarity(${lower}, ${displayName}))`),
      asc(users.id),
    )
    .limit(limit)
  return rows.map((u) => toPublicUser(ctx.config, u))
}

async function searchEvents(ctx: Ctx, q: string, limit: number) {
  const title = sql`${events.titleLower}`
  const rows = await ctx.db
    .select(eventColumns)
    .from(events)
    .leftJoin(users, eq(users.id, events.organizerId))
    // Public events only: drafts never, and cancelled ones are not worth finding.
    .where(and(eq(events.status, 'published'), matches(q, title)))
    .orderBy(...closest(q, title, events.id))
    .limit(limit)
  return rows.map((r) => toEvent(ctx, r))
}

/** Posts by any part of their body, shown as GET /posts shows them (author, counts, liked_by_me): one query. */
async function searchPosts(ctx: Ctx, actor: Actor, q: string, limit: number): Promise<PostT[]> {
  const body = sql`lower(${posts.body})`
  const rows = await selectPosts(ctx.db, viewerOf(actor))
    .where(matches(q, body))
    .orderBy(...closest(q, body, posts.id))
    .limit(limit)
  return rows.map((r) => toPost(ctx.config, r))
}

const SIGNED_IN_ONLY: readonly SearchType[] = ['users', 'posts']

/**
 * Anonymous callers search events only: asking for users or posts by name in `type` is 401; with no `type`,
 * those lists come back empty.
 */
export async function search(ctx: Ctx, actor: Actor | null, input: SearchInput) {
  const asked = input.type ? (input.type.split(',') as SearchType[]) : undefined
  if (!actor && asked?.some((t) => SIGNED_IN_ONLY.includes(t))) {
    throw new AppError('AUTHORIZATION_REQUIRED', 'Searching users and posts needs an access token')
  }
  const wanted = new Set(asked ?? SEARCH_TYPES)
  const q = input.q.trim()
  const limit = input.limit ?? 10
  const [foundUsers, foundEvents, foundPosts] = await Promise.all([
    actor && wanted.has('users') ? searchUsers(ctx, q, limit) : [],
    wanted.has('events') ? searchEvents(ctx, q, limit) : [],
    actor && wanted.has('posts') ? searchPosts(ctx, actor, q, limit) : [],
  ])
  return { users: foundUsers, events: foundEvents, posts: foundPosts }
}
