// Times GET /feed and GET /posts at a million posts on PostgreSQL.
// Usage: npx tsx bench/social-1m.ts [postgres://postgres@127.0.0.1:5432/postgres] [--keep]
// Creates the scratch database stagedoor_bench_social (dropped at the end unless --keep), loads 10,000
// users and 1,000,000 posts with generate_series, and measures through app.inject() (no network).
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'

const baseUrl =
  process.argv.find((a) => a.startsWith('postgres')) ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const keep = process.argv.includes('--keep')
const NAME = 'stagedoor_bench_social'
const USERS = 10_000
const POSTS = 1_000_000
const FRIENDS = 200

const target = new URL(baseUrl)
target.pathname = `/${NAME}`

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now()
  const result = await fn()
  console.log(`${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`)
  return result
}

async function load(): Promise<void> {
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${NAME} with (force)`)
  await admin.query(`create database ${NAME}`)
  await admin.end()
  const database = await openDatabase({ databaseUrl: target.toString() })
  await runMigrations(database)
  await database.close()

  const db = new pg.Client({ connectionString: target.toString() })
  await db.connect()
  await timed(`insert ${USERS} users`, () =>
    db.query(`insert into users (email, username, password_hash, display_name)
      select 'u' || g || '@bench.test', 'u' || g, 'not-a-hash', 'User ' || g from generate_series(1, ${USERS}) g`),
  )
  // Loading first and indexing after is how a bulk load is done; the indexes are the migration's own.
  await db.query('drop index posts_body_trgm_idx')
  await timed(`insert ${POSTS} posts`, () =>
    db.query(`insert into posts (author_id, body, like_count, created_at, updated_at)
      select 1 + (g % ${USERS}),
             'post ' || g || ' about ' || (array['hamlet','opera','jazz','ballet','comedy'])[1 + g % 5] || ' ' || md5(g::text),
             (g::bigint * 7919) % 500,
             now() - (${POSTS} - g) * interval '1 second',
             now() - (${POSTS} - g) * interval '1 second'
        from generate_series(1, ${POSTS}) g`),
  )
  await timed('create posts_body_trgm_idx', () =>
    db.query('create index posts_body_trgm_idx on posts using gin (lower(body) gin_trgm_ops)'),
  )
  await timed('analyze', () => db.query('analyze'))
  await db.end()
}

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
  return `median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, min ${sorted[0]!.toFixed(1)} ms`
}

async function measure(): Promise<void> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: target.toString(),
    DATA_DIR: mkdtempSync(join(tmpdir(), 'stagedoor-bench-')),
    JWT_SECRET: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'false',
    RATE_LIMIT_ENABLED: 'false',
    MAX_EVENT_LOOP_DELAY: '0',
    LOG_LEVEL: 'silent',
  })
  const app = await buildApp(config, { logger: false })
  await app.ready()
  try {
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'bench@bench.test', username: 'bench_viewer', password: 'Bench-viewer-Pass-1' },
    })
    const me = reg.json().user.id as number
    const auth = { authorization: `Bearer ${reg.json().access_token}` }
    const db = new pg.Client({ connectionString: target.toString() })
    await db.connect()
    await db.query(
      `insert into friendships (requester_id, addressee_id, status, responded_at)
       select $1, g, 'accepted', now() from generate_series(1, ${FRIENDS}) g`,
      [me],
    )
    await db.query('analyze friendships')
    await db.end()

    const cursorPage = (
      await app.inject({ method: 'GET', url: '/api/v1/feed?limit=20', headers: auth })
    ).json()
    let deep = cursorPage.next_cursor as string
    for (let i = 0; i < 50; i++) {
      deep = (
        await app.inject({ method: 'GET', url: `/api/v1/feed?limit=20&cursor=${deep}`, headers: auth })
      ).json().next_cursor
    }
    const cases: [string, string][] = [
      [`GET /feed (viewer with ${FRIENDS} friends, first page)`, '/api/v1/feed?limit=20'],
      ['GET /feed (51 pages deep, by cursor)', `/api/v1/feed?limit=20&cursor=${deep}`],
      ['GET /posts?page=1 (newest first, with total)', '/api/v1/posts?page=1'],
      ['GET /posts?page=1&sort=-like_count', '/api/v1/posts?page=1&sort=-like_count'],
      ['GET /posts?author_id=42', '/api/v1/posts?author_id=42'],
      ['GET /posts?q=ab12 (trigram search)', '/api/v1/posts?q=ab12'],
    ]
    for (const [label, url] of cases) {
      const ms: number[] = []
      for (let i = 0; i < 25; i++) {
        const start = performance.now()
        const res = await app.inject({ method: 'GET', url, headers: auth })
        ms.push(performance.now() - start)
        if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
      }
      console.log(`${label}: ${stats(ms.slice(5))} (20 runs after 5 warm-ups)`)
    }
  } finally {
    await app.close()
  }
}

await load()
try {
  await measure()
} finally {
  if (!keep) {
    const admin = new pg.Client({ connectionString: baseUrl })
    await admin.connect()
    await admin.query(`drop database if exists ${NAME} with (force)`)
    await admin.end()
  }
}
