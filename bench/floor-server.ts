// The floor of a read on this machine (bench/floor.ts starts it): a bare Fastify with no plugins, in
// WEB_CONCURRENCY processes sharing one port (node:cluster, as src/cluster.ts does), and one `pg` pool per
// process against the bench database. It does what any uncached read must do and nothing more:
// - GET /floor/none?bytes=N: N bytes of JSON from memory, with no database;
// - GET /floor/pg?bytes=N: one named prepared statement that returns N bytes of text, sent as JSON;
// - GET /floor/events and /floor/detail: Stagedoor's own statements for `GET /events?page=1&per_page=20`
//   and `GET /events/500` (events.json.ts), their JSON text sent as it comes.
// What Stagedoor's routes add on top (validation, hooks, ETag, metrics, logging) is the difference between
// these and `npm run bench`'s figures for the same statements.
import cluster from 'node:cluster'
import Fastify from 'fastify'
import pg from 'pg'
import { EVENT_JSON_BY_ID, pageStatement, STATUS_TOTAL } from '../src/modules/events/events.json.js'

const processes = Number(process.env.WEB_CONCURRENCY ?? 2)
const port = Number(process.env.PORT ?? 3200)
const avatars = 'http://127.0.0.1/media/avatars/'

if (cluster.isPrimary) {
  for (let i = 0; i < processes; i++) cluster.fork()
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM')
    process.exit(0)
  })
} else {
  const pool = new pg.Pool({
    connectionString: process.env.DATABASE_URL,
    max: Number(process.env.DATABASE_POOL_MAX ?? 10),
  })
  const texts = new Map<number, string>()
  const sizeOf = (query: unknown) =>
    Math.min(1_000_000, Math.max(2, Number((query as { bytes?: string }).bytes ?? 1000) | 0))
  // The unfiltered first page sorted by starts_at, as events.service.ts builds it.
  const page = pageStatement(
    'events_json:status:00000:starts_at',
    'e.status = $2',
    'e.starts_at',
    false,
    20,
    2,
    true,
    false,
    STATUS_TOTAL,
  )
  const app = Fastify({ logger: false })
  const json = 'application/json; charset=utf-8'

  app.get('/floor/none', async (req, reply) => {
    const bytes = sizeOf(req.query)
    let text = texts.get(bytes)
    if (text === undefined) {
      text = `"${'x'.repeat(bytes - 2)}"`
      texts.set(bytes, text)
    }
    return reply.type(json).send(text)
  })
  app.get('/floor/pg', async (req, reply) => {
    const { rows } = await pool.query<{ json: string }>({
      name: 'floor',
      text: `select '"' || repeat('x', $1::int - 2) || '"' json`,
      values: [sizeOf(req.query)],
    })
    return reply.type(json).send(rows[0]!.json)
  })
  app.get('/floor/events', async (_req, reply) => {
    const { rows } = await pool.query<{ json: string; total: number }>({
      ...page,
      values: [avatars, 'published'],
    })
    return reply
      .type(json)
      .send(`{"data":[${rows.map((r) => r.json).join(',')}],"total":${rows[0]?.total ?? 0}}`)
  })
  app.get('/floor/detail', async (_req, reply) => {
    const { rows } = await pool.query<{ json: string }>({ ...EVENT_JSON_BY_ID, values: [avatars, 500] })
    return reply.type(json).send(rows[0]?.json ?? 'null')
  })
  app.get('/health/ready', async () => ({ status: 'ok' }))
  app.listen({ port, host: '127.0.0.1' }).catch((err: Error) => {
    console.error(err)
    process.exit(1)
  })
}
