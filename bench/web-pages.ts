// The web pages next to the JSON API (`npx tsx bench/web-pages.ts`): on the embedded database and on PostgreSQL,
// seeds the demo data (`stagedoor seed`), starts `src/server.ts` (NODE_ENV=production, one process, rate limits
// off) and measures with wrk: the anonymous event page, a logged-in `/tickets` (session cookie), and the JSON
// `GET /api/v1/events/{id}` and `GET /api/v1/users/me/tickets` (bearer token); req/s at BENCH_WEB_CONNECTIONS
// connections, and the time to first byte of one request alone (p50 of 21, curl's time_starttransfer). Then the
// CSS and JS each page links, raw and gzipped, as the server sends them. Prints Markdown tables.
// Environment: BENCH_WEB_PORT (41000), BENCH_WEB_DURATION (10 s), BENCH_WEB_CONNECTIONS (16), BENCH_WEB_DATABASE
// (stagedoor_web_bench: created on the local PostgreSQL and dropped at the end), BENCH_WEB_ONLY (embedded,postgres).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { DEMO_PASSWORD } from '../src/seed.js'
import { stagedoorEnv, waitReady, wrk } from './lib.js'

const port = Number(process.env.BENCH_WEB_PORT ?? 41000)
const duration = Number(process.env.BENCH_WEB_DURATION ?? 10)
const connections = Number(process.env.BENCH_WEB_CONNECTIONS ?? 16)
const database = process.env.BENCH_WEB_DATABASE ?? 'stagedoor_web_bench'
const only = new Set((process.env.BENCH_WEB_ONLY ?? 'embedded,postgres').split(','))
const admin = 'postgres://postgres@127.0.0.1:5432/postgres'
const base = `http://127.0.0.1:${port}`

interface Target {
  name: string
  path: string
  headers: Record<string, string>
}

function curl(args: string[]): string {
  return execFileSync('curl', ['-s', '-o', '/dev/null', ...args], { encoding: 'utf8' })
}

/** p50 of 21 single requests' time to first byte, in ms (after 3 unmeasured ones). */
function ttfb(t: Target): number {
  const headerArgs = Object.entries(t.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
  const times: number[] = []
  for (let i = 0; i < 24; i++) {
    const s = Number(curl(['-w', '%{time_starttransfer}', ...headerArgs, `${base}${t.path}`]))
    if (i >= 3) times.push(s * 1000)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

/** The cookies a response sets, as a Cookie header's pairs. */
function setCookies(res: Response): string[] {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]!)
}

/** Signs bob in twice: through the login form (a session cookie) and the API (a bearer token). */
async function signIn(): Promise<{ cookie: string; token: string }> {
  const form = await fetch(`${base}/login`, { headers: { accept: 'text/html' } })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1]
  if (!csrf) throw new Error('no CSRF token on /login')
  const jar = setCookies(form)
  const posted = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, email: 'bob', password: DEMO_PASSWORD }).toString(),
  })
  if (posted.status !== 303) throw new Error(`page login answered ${posted.status}`)
  const cookie = [...jar, ...setCookies(posted)].join('; ')
  const api = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'bob', password: DEMO_PASSWORD }),
  })
  const token = ((await api.json()) as { access_token?: string }).access_token
  if (!token) throw new Error(`API login answered ${api.status}`)
  return { cookie, token }
}

/** The stylesheets and scripts a page links, raw and gzipped bytes as served. */
async function assetBytes(page: Target) {
  const html = await (await fetch(`${base}${page.path}`, { headers: page.headers })).text()
  const urls = [
    ...[...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => ({ kind: 'css', url: m[1]! })),
    ...[...html.matchAll(/<script src="([^"]+)"/g)].map((m) => ({ kind: 'js', url: m[1]! })),
  ]
  const sum = { css: { raw: 0, gzip: 0 }, js: { raw: 0, gzip: 0 }, files: [] as string[] }
  for (const { kind, url } of urls) {
    const raw = Number(curl(['-w', '%{size_download}', `${base}${url}`]))
    const gzip = Number(curl(['-w', '%{size_download}', '-H', 'accept-encoding: gzip', `${base}${url}`]))
    const into = kind === 'css' ? sum.css : sum.js
    into.raw += raw
    into.gzip += gzip
    sum.files.push(url.replace(/^\/assets\//, '').replace(/\.[\w-]{12}\./, '.'))
  }
  return { html: Buffer.byteLength(html), ...sum }
}

async function stop(server: ChildProcess) {
  if (server.exitCode !== null) return
  server.kill('SIGTERM')
  await new Promise((r) => server.once('exit', r))
}

const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`

async function measure(label: string, env: Record<string, string>) {
  // The demo data, through the CLI as a newcomer would (seed refuses NODE_ENV=production).
  execFileSync('npx', ['tsx', 'src/cli.ts', 'seed'], {
    stdio: 'inherit',
    env: { ...process.env, ...env, NODE_ENV: 'development', WORKERS_IN_PROCESS: 'false' },
  })
  // Node itself (not npx), so that stopping it stops the server.
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    await waitReady(`${base}/health/ready`, server)
    const events = (await (await fetch(`${base}/api/v1/events?per_page=100`)).json()) as {
      data: { id: number; title: string }[]
    }
    const eventId = events.data.find((e) => e.title.startsWith('Midnight Orchestra'))!.id
    const { cookie, token } = await signIn()
    const html = { accept: 'text/html' }
    const targets: Target[] = [
      { name: 'page: anonymous `/events/{id}`', path: `/events/${eventId}`, headers: html },
      { name: 'page: logged-in `/tickets`', path: '/tickets', headers: { ...html, cookie } },
      { name: 'JSON: `GET /api/v1/events/{id}`', path: `/api/v1/events/${eventId}`, headers: {} },
      {
        name: 'JSON: `GET /api/v1/users/me/tickets`',
        path: '/api/v1/users/me/tickets',
        headers: { authorization: `Bearer ${token}` },
      },
    ]
    const rows: string[] = []
    for (const t of targets) {
      const check = await fetch(`${base}${t.path}`, { headers: t.headers, redirect: 'manual' })
      if (check.status !== 200) throw new Error(`${t.path} answered ${check.status}`)
      const headerArgs = Object.entries(t.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`])
      execFileSync('wrk', ['-t1', '-c4', '-d2s', ...headerArgs, `${base}${t.path}`], { stdio: 'ignore' })
      const r = wrk([
        '-t2',
        `-c${connections}`,
        `-d${duration}s`,
        '--latency',
        ...headerArgs,
        `${base}${t.path}`,
      ])
      const first = ttfb(t)
      rows.push(
        `| ${label} | ${t.name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${first.toFixed(1)} ms | ${r.non2xx} |`,
      )
      console.error(`${label} ${t.path}: ${r.rps.toFixed(0)} req/s, TTFB ${first.toFixed(1)} ms`)
    }
    const pages: Target[] = [
      { name: '`/`', path: '/', headers: html },
      { name: '`/events/{id}` (anonymous)', path: `/events/${eventId}`, headers: html },
      {
        name: '`/events/{id}` (logged in: seat map)',
        path: `/events/${eventId}`,
        headers: { ...html, cookie },
      },
      { name: '`/tickets`', path: '/tickets', headers: { ...html, cookie } },
      { name: '`/messages/carol`', path: '/messages/carol', headers: { ...html, cookie } },
    ]
    const bytes: string[] = []
    for (const p of pages) {
      const b = await assetBytes(p)
      bytes.push(
        `| ${p.name} | ${kB(b.html)} | ${kB(b.css.raw)} / ${kB(b.css.gzip)} | ${kB(b.js.raw)} / ${kB(b.js.gzip)} | ${b.files.join(', ')} |`,
      )
    }
    return { rows, bytes }
  } finally {
    await stop(server)
  }
}

async function main() {
  const common = stagedoorEnv({ url: '', port, processes: '1', cacheTtl: '1', dataDir: '' })
  delete (common as Record<string, string | undefined>).DATABASE_URL
  const rows: string[] = []
  let bytes: string[] = []
  if (only.has('embedded')) {
    const dir = mkdtempSync(join(tmpdir(), 'stagedoor-web-bench-'))
    try {
      const env = { ...common, DATA_DIR: dir, MIGRATE_ON_START: 'true' }
      const out = await measure('embedded', env)
      rows.push(...out.rows)
      bytes = out.bytes
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  if (only.has('postgres')) {
    const client = new pg.Client({ connectionString: admin })
    await client.connect()
    await client.query(`drop database if exists ${database}`)
    await client.query(`create database ${database}`)
    const dir = mkdtempSync(join(tmpdir(), 'stagedoor-web-bench-'))
    try {
      const env = {
        ...common,
        DATA_DIR: dir,
        DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
        MIGRATE_ON_START: 'true',
      }
      const out = await measure('PostgreSQL', env)
      rows.push(...out.rows)
      if (bytes.length === 0) bytes = out.bytes
    } finally {
      await client.query(`drop database if exists ${database} with (force)`)
      await client.end()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  console.log(
    `\n| database | what | req/s (${connections} connections, ${duration} s) | p50 | p99 | TTFB alone (p50 of 21) | non-2xx |`,
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
  console.log('\n| page | HTML | CSS raw / gzip | JS raw / gzip | files |')
  console.log('|---|---|---|---|---|')
  for (const b of bytes) console.log(b)
}

await main()
