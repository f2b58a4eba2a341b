// Fixtures for the reservation scenarios, rebuilt before each run: a contention event (one general section of
// 100) and 100 uncontended events × 5 sections of 1,000,000, plus access tokens minted for seeded users.
import { writeFileSync } from 'node:fs'
import type pg from 'pg'
import type { Config } from '../src/config.js'
import { createTokenService } from '../src/lib/tokens.js'

const CLEANUP = [
  `delete from invoice_lines where invoice_id in (select i.id from invoices i join events e on e.id = i.event_id
     where e.title like 'BENCH %')`,
  `delete from invoices where event_id in (select id from events where title like 'BENCH %')`,
  `delete from tickets where event_id in (select id from events where title like 'BENCH %')`,
  `delete from reservations where event_id in (select id from events where title like 'BENCH %')`,
  `delete from idempotency_keys`,
  `delete from sessions where expires_at < now() + interval '1 day'`,
  `delete from events where title like 'BENCH %'`,
  // The previous run's invoice e-mails (the bench server sends none: WORKERS_IN_PROCESS=false).
  `delete from pgboss.job where name = 'mail'`,
]

export interface Fixtures {
  contention: { eventId: number; sectionId: number }
  tokensFile: string
  sectionsFile: string
  tokens: string[]
}

async function makeEvent(client: pg.ClientBase, title: string, capacity: number, names: string[]) {
  const { rows } = await client.query<{ id: number }>(
    `insert into events (organizer_id, title, venue, starts_at, status, published_at, currency, min_price_cents)
     values (1, $1, 'Bench', '2027-06-01T20:00:00Z', 'published', now(), 'AUD', 1000) returning id`,
    [title],
  )
  const eventId = rows[0]!.id
  const sections = await client.query<{ id: number }>(
    `insert into sections (event_id, name, kind, price_cents, capacity, position)
     select $1, name, 'general', 1000, $2, ord from unnest($3::text[]) with ordinality u(name, ord) returning id`,
    [eventId, capacity, names],
  )
  return { eventId, sectionIds: sections.rows.map((r) => r.id) }
}

export async function buildFixtures(
  client: pg.ClientBase,
  config: Config,
  dir: string,
  nTokens: number,
): Promise<Fixtures> {
  for (const statement of CLEANUP) await client.query(statement)
  const contention = await makeEvent(client, 'BENCH contention', 100, ['General Admission'])
  const lines: string[] = []
  for (let i = 0; i < 100; i++) {
    const e = await makeEvent(client, `BENCH uncontended ${i}`, 1_000_000, [
      'General Admission',
      'C',
      'B',
      'A',
      'VIP',
    ])
    for (const s of e.sectionIds) lines.push(`${e.eventId} ${s}`)
  }
  // Every run deletes the last run's rows; without a vacuum the next would wade through them (this machine's
  // PostgreSQL runs with autovacuum off) and each run would be slower than the one before.
  await client.query(
    'vacuum analyze events, sections, reservations, tickets, invoices, invoice_lines, idempotency_keys, sessions, pgboss.job',
  )
  // One live session per bench user, so the tokens pass the auth plugin's session check.
  const { rows } = await client.query<{ id: string; user_id: number }>(
    `insert into sessions (user_id, expires_at)
     select g, now() + interval '1 day' from generate_series(1, $1::int) g returning id, user_id`,
    [nTokens],
  )
  const tokens = createTokenService(config)
  const minted = rows.map((r) =>
    tokens.signAccess({ userId: r.user_id, sessionId: r.id, role: 'user', fresh: true }),
  )
  const tokensFile = `${dir}/tokens.txt`
  const sectionsFile = `${dir}/sections.txt`
  writeFileSync(tokensFile, `${minted.join('\n')}\n`)
  writeFileSync(sectionsFile, `${lines.join('\n')}\n`)
  return {
    contention: { eventId: contention.eventId, sectionId: contention.sectionIds[0]! },
    tokensFile,
    sectionsFile,
    tokens: minted,
  }
}
