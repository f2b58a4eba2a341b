// GET /posts as prepared statements: one per shape (which filters are present, the sort), every value a
// placeholder, so PostgreSQL parses and plans the six-table join once per connection instead of per request.
// The `total` rides along in the page's statement (one round trip):
// - no filter or only `author_id`: read from post_counts (kept exact by triggers), one primary-key lookup;
// - `event_id` (with or without `author_id`): an exact count over the (event_id, id) index;
// - `q`: the matches counted up to SEARCH_TOTAL_CAP, so a common word does not count a million rows.
import { and, asc, desc, eq, like, type SQL, sql } from 'drizzle-orm'
import type { Actor } from '../../context.js'
import { type Db, preparedOnce } from '../../db/client.js'
import { postCounts, posts } from '../../db/schema/index.js'
import type { PageParams } from '../../lib/pagination.js'
import { containsPattern } from '../../lib/schemas.js'
import { type PostRow, selectPosts, viewerPlaceholders, viewerValues } from './posts.queries.js'

/** A text search's `total` stops counting here (documented on GET /posts). */
export const SEARCH_TOTAL_CAP = 10_000

export interface PostListQuery {
  author_id?: number
  event_id?: number
  q?: string
  sort?: string
}

type SortField = 'created_at' | 'like_count'

function totalOf(where: SQL | undefined, query: PostListQuery): SQL<number> {
  if (query.q !== undefined) {
    return sql<number>`(select count(*) from (select 1 from ${posts} where ${where} limit ${sql.raw(String(SEARCH_TOTAL_CAP))}) m)`
  }
  if (query.event_id !== undefined) return sql<number>`(select count(*) from ${posts} where ${where})`
  // Row 0 counts every post; a missing row (an author who never posted) is 0.
  const key = query.author_id !== undefined ? sql`${sql.placeholder('author')}::int` : sql`0`
  return sql<number>`coalesce((select ${postCounts.posts} from ${postCounts} where ${postCounts.authorId} = ${key}), 0)`
}

/**
 * The page's posts are picked first (one table, by index) and only those are joined: a join below the
 * LIMIT/OFFSET ran for every row an offset skipped. The page size, and the offset of page 1, are written into
 * the text: with them as parameters PostgreSQL's generic plan assumes it skips a tenth of the table and looks
 * costlier than a custom one, so it planned the six-table join again on every call (1–3 ms, more than
 * running it). Page 1 is most requests; a deeper page's offset is a parameter (planned per call).
 */
function statementFor(db: Db, query: PostListQuery, field: SortField, descending: boolean, page: PageParams) {
  const has = [query.author_id, query.event_id, query.q].map((v) => (v === undefined ? 0 : 1)).join('')
  const first = page.offset === 0
  const shape = `posts_list:${has}:${descending ? '-' : ''}${field}:${page.perPage}${first ? ':first' : ''}`
  return preparedOnce(db, shape, (d, name) => {
    const where = and(
      query.author_id !== undefined ? eq(posts.authorId, sql.placeholder('author')) : undefined,
      query.event_id !== undefined ? eq(posts.eventId, sql.placeholder('event')) : undefined,
      // Matches the trigram index on lower(body).
      query.q !== undefined ? like(sql`lower(${posts.body})`, sql.placeholder('q')) : undefined,
    )
    const dir = descending ? desc : asc
    const order =
      field === 'like_count' ? [dir(posts.likeCount), dir(posts.id)] : [dir(posts.createdAt), dir(posts.id)]
    const total = totalOf(where, query)
    const offset = first ? sql.raw('0') : sql`${sql.placeholder('offset')}::int`
    const ids = sql`${posts.id} in (select ${posts.id} from ${posts} ${where ? sql`where ${where}` : sql``}
      order by ${sql.join(order, sql`, `)} limit ${sql.raw(String(page.perPage))} offset ${offset})`
    return {
      page: selectPosts(d, viewerPlaceholders, { total: total.mapWith(Number) })
        .where(ids)
        .orderBy(...order)
        .prepare(name),
      // Past the last page there is no row to carry the total.
      total: d
        .select({ n: total.mapWith(Number) })
        .from(sql`(select 1) one`)
        .prepare(`${name}:total`),
    }
  })
}

export async function listPostsPage(
  db: Db,
  actor: Actor,
  query: PostListQuery,
  field: SortField,
  descending: boolean,
  page: PageParams,
): Promise<{ rows: PostRow[]; total: number }> {
  const statement = statementFor(db, query, field, descending, page)
  const values = {
    ...viewerValues(actor),
    author: query.author_id,
    event: query.event_id,
    q: query.q === undefined ? undefined : containsPattern(query.q),
    offset: page.offset,
  }
  const rows = await statement.page.execute(values)
  let total = rows[0]?.total
  if (total === undefined) {
    const [counted] = await statement.total.execute(values)
    total = counted?.n ?? 0
  }
  return { rows, total }
}
