// GET /posts as PostgreSQL builds it: each post comes back as the API's JSON text (the `Post` schema's shape,
// field for field: test/social/posts-json.test.ts compares it with the object path, `toPost`), so the server
// neither maps rows nor serialises objects; it joins the texts into the page, as the catalogue does
// (events.json.ts). One named prepared statement per shape (which filters are present, the sort, the page
// size), every value a parameter, so PostgreSQL plans the six-table join once per connection.
// The `total` rides along in the page's statement (one round trip):
// - no filter or only `author_id`: read from post_counts (kept exact by triggers), one primary-key lookup;
// - `event_id` (with or without `author_id`): an exact count over the (event_id, id) index;
// - `q`: the matches counted up to SEARCH_TOTAL_CAP, so a common word does not count a million rows.
// The reader's access token is checked in the same statement when the route passes its claims (a `Caller`
// with `claims`: `$3` and `$4` are then its session and token ids, and the reader is an admin when the check
// found that role): a signed-in page is then one round trip, not two (bench/README.md).
import type { Actor, Ctx } from '../../context.js'
import { runStatement } from '../../db/client.js'
import { type AggregatedPageRow, aggregatedPageSql, jsonPage } from '../../lib/json-text.js'
import type { Page, PageParams } from '../../lib/pagination.js'
import { containsPattern } from '../../lib/schemas.js'
import { actorWithRole, type Caller, validTokenRoleSql } from '../../plugins/auth.js'
import { avatarUrlJsonSql, avatarUrlPrefix } from '../users/users.schemas.js'

/** A text search's `total` stops counting here (documented on GET /posts). */
export const SEARCH_TOTAL_CAP = 10_000

export interface PostListQuery {
  author_id?: number
  event_id?: number
  q?: string
  sort?: string
}

export type PostSortField = 'created_at' | 'like_count'

// Each post, author and event keeps the parts of its JSON that change only when it is edited (migration 0023:
// `json_head`/`json_tail`, `json_author_head`, `json_ref`, written by triggers); what changes otherwise is
// computed here. `$1` is the prefix of avatar URLs, `$2` the reader's id; `admin` is SQL for whether the reader
// is an admin (`$3`, or the role the token check found).
const author = (u: string) => `${u}.json_author_head || ${avatarUrlJsonSql('$1::text', u)} || '}'`

// The linked event is shown only to readers who may see it (as GET /events/{id} decides): a post about an event
// never published (a draft, or one cancelled as a draft) shows `event: null` to everyone but its organizer and
// admins, so its title does not leak.
const visible = (e: string, admin: string) =>
  `(${e}.published_at is not null or ${e}.organizer_id = $2::int or ${admin})`

/** A post `p` (its author `a`, its visible event `e`) up to its counts: id and body, author, event, `rest`, counts. */
const postJson = (p: string, a: string, e: string, rest: string) =>
  `${p}.json_head || ',"author":' || ${author(a)} || ',"event":' || coalesce(${e}.json_ref, 'null') || ${rest}
  || ',"like_count":' || ${p}.like_count || ',"comment_count":' || ${p}.comment_count
  || ',"share_count":' || ${p}.share_count`

const SHARED_JSON = `${postJson('sp', 'sa', 'se', "''")} || sp.json_tail`

const POST_JSON = `(${postJson(
  'p',
  'a',
  'ev',
  `',"shared_post":' || coalesce(case when sp.id is not null and sa.id is not null then ${SHARED_JSON} end, 'null')`,
)} || ',"liked_by_me":' || exists (select 1 from post_likes l where l.post_id = p.id and l.user_id = $2::int)
  || p.json_tail)`

const joins = (admin: string) => `join users a on a.id = p.author_id
  left join events ev on ev.id = p.event_id and ${visible('ev', admin)}
  left join posts sp on sp.id = p.shared_post_id
  left join users sa on sa.id = sp.author_id
  left join events se on se.id = sp.event_id and ${visible('se', admin)}`

const SORT_KEYS: Record<PostSortField, string> = { created_at: 'created_at', like_count: 'like_count' }

/**
 * The statement for one shape. The page's posts are picked first (one table, by index) and only those are
 * joined: a join below the LIMIT/OFFSET ran for every row an offset skipped. The page size, and the offset
 * of page 1, are written into the text: with them as parameters PostgreSQL's generic plan assumes it skips a
 * tenth of the table and looks costlier than a custom one, so it planned the join again on every call (1–3
 * ms, more than running it). Page 1 is most requests; a deeper page's offset is the last parameter.
 */
function statementsFor(
  query: PostListQuery,
  field: PostSortField,
  descending: boolean,
  page: PageParams,
  checked: boolean,
) {
  // The reader's parameters come first: $1–$3, or $1–$4 when the statement checks the token.
  const reader = checked ? 4 : 3
  const values: unknown[] = []
  const bind = (v: unknown) => {
    values.push(v)
    return `$${values.length + reader}`
  }
  const where: string[] = []
  const author = query.author_id === undefined ? undefined : bind(query.author_id)
  if (author !== undefined) where.push(`author_id = ${author}::int`)
  if (query.event_id !== undefined) where.push(`event_id = ${bind(query.event_id)}::int`)
  // Matches the trigram index on lower(body).
  if (query.q !== undefined) where.push(`lower(body) like ${bind(containsPattern(query.q))}`)
  const condition = where.length > 0 ? `where ${where.join(' and ')}` : ''
  const total =
    query.q !== undefined
      ? `(select count(*)::int from (select 1 from posts ${condition} limit ${SEARCH_TOTAL_CAP}) m)`
      : query.event_id !== undefined
        ? `(select count(*)::int from posts ${condition})`
        : // Row 0 counts every post; a missing row (an author who never posted) is 0.
          `coalesce((select posts from post_counts where author_id = ${author !== undefined ? `${author}::int` : '0'}), 0)`
  const has = [query.author_id, query.event_id, query.q].map((v) => (v === undefined ? 0 : 1)).join('')
  const first = page.offset === 0
  const shape = `posts_json${checked ? ':checked' : ''}:${has}:${descending ? '-' : ''}${field}:${page.perPage}${first ? ':first' : ''}`
  const dir = descending ? 'desc' : 'asc'
  const key = SORT_KEYS[field]
  const offset = first ? '0' : `$${values.length + reader + 1}`
  const pageSql = (admin: string) =>
    aggregatedPageSql(
      `select ${POST_JSON} json, ${total} total, pg.k, pg.id
      from (select id, ${key} k from posts ${condition}
            order by ${key} ${dir}, id ${dir} limit ${page.perPage} offset ${offset}) pg
      join posts p on p.id = pg.id ${joins(admin)}
      order by pg.k ${dir}, pg.id ${dir}`,
    )
  return {
    values,
    // Checked: no row when the token no longer holds, and the page is not built.
    page: {
      name: shape,
      text: checked
        ? `select me.role, page.data, page.total from (${validTokenRoleSql('$2', '$3', '$4')}) me
      cross join lateral (${pageSql(`me.role = 'admin'`)}) page`
        : pageSql('$3::boolean'),
    },
    // Past the last page no item carries the total; its parameters are the page's but the offset.
    total: {
      name: `${shape}:total`,
      text: `select ${total} total, $1::text, $2::int, ${checked ? '$3::uuid, $4::text' : '$3::boolean'}`,
    },
  }
}

/** A page of posts as the JSON text GET /posts sends, and its numbers for the envelope and the Link header. */
export async function postsPageJson(
  ctx: Ctx,
  reader: Caller,
  query: PostListQuery,
  field: PostSortField,
  descending: boolean,
  page: PageParams,
): Promise<{ body: string; page: Page<never> }> {
  const checked = 'claims' in reader
  const statements = statementsFor(query, field, descending, page, checked)
  const params = [
    avatarUrlPrefix(ctx.config),
    ...(checked
      ? [Number(reader.claims.sub), reader.claims.sid, reader.claims.jti]
      : [reader.actor.id, reader.actor.role === 'admin']),
    ...statements.values,
  ]
  const [row] = await runStatement<AggregatedPageRow & { role?: Actor['role'] }>(
    ctx.db,
    statements.page,
    page.offset === 0 ? params : [...params, page.offset],
  )
  if (checked) actorWithRole(reader.claims, row?.role)
  let total = row?.total ?? null
  if (total === null) {
    const [counted] = await runStatement<{ total: number }>(ctx.db, statements.total, params)
    total = counted?.total ?? 0
  }
  return jsonPage(row?.data ?? '', total, page)
}
