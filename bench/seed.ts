// Bench data on PostgreSQL, set-based: 10,000 users, 1,000 published events × 5 sections, 50,000 confirmed
// tickets (each with its reservation and a paid invoice), 20,000 posts (half about an event) and 100,000 likes:
// the same shape as the Flask peer's seed.
import pg from 'pg'
import { openDatabase } from '../src/db/client.js'
import { runMigrations } from '../src/db/migrate.js'
import { hashPassword } from '../src/lib/passwords.js'

export const SEED = { users: 10_000, events: 1_000, tickets: 50_000, posts: 20_000, likes: 100_000 }
export const SEED_PASSWORD = 'bench-password-123'
// name, price, capacity: the usual five, cheapest first (as in the peer's seed).
const SECTIONS: [string, number, number][] = [
  ['General Admission', 4900, 400],
  ['C', 7900, 200],
  ['B', 10900, 120],
  ['A', 14900, 60],
  ['VIP', 29900, 20],
]

// The Flask peer's seed.py word lists.
const ADJ = [
  'Abstract',
  'Fabulous',
  'Cabaret',
  'Electric',
  'Midnight',
  'Golden',
  'Neon',
  'Crab',
  'Velvet',
  'Silent',
  'Baby',
  'Arcade',
  'Cosmic',
  'Urban',
  'Wild',
  'Lunar',
  'Acoustic',
  'Grand',
  'Rebel',
  'Sunset',
  'Jazz',
  'Crystal',
  'Iron',
  'Summer',
]
const NOUN = [
  'Nights',
  'Festival',
  'Sessions',
  'Live',
  'Orchestra',
  'Showcase',
  'Abbey Tour',
  'Collective',
  'Jam',
  'Gala',
  'Rave',
  'Parade',
  'Lab',
  'Revival',
  'Experience',
  'Sound System',
  'Carnival',
  'Symphony',
  'Club',
  'Sabbath',
]
const VENUES = [
  'Royal Hall',
  'The Warehouse',
  'City Arena',
  'Riverside Stage',
  'Blue Note',
  'Olympia',
  'Stadium North',
  'Old Mill',
  'Harbour Pavilion',
  'Opera House',
]
const sqlWords = (words: string[]) => words.map((w) => `'${w}'`).join(', ')

/** Creates the database when missing and applies the migrations. */
export async function prepareDatabase(url: string): Promise<void> {
  const target = new URL(url)
  const name = target.pathname.slice(1)
  if (!/^\w+$/.test(name)) throw new Error(`unsafe database name ${name}`)
  const admin = new pg.Client({
    connectionString: Object.assign(new URL(url), { pathname: '/postgres' }).toString(),
  })
  await admin.connect()
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name])
  if (!rowCount) await admin.query(`create database ${name}`)
  await admin.end()
  const database = await openDatabase({ databaseUrl: url })
  await runMigrations(database)
  await database.close()
}

export async function isSeeded(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ n: string }>(
    "select count(*) n from events where title like 'Bench %'",
  )
  const posts = await client.query<{ n: string }>('select count(*) n from posts')
  return Number(rows[0]!.n) === SEED.events && Number(posts.rows[0]!.n) >= SEED.posts
}

export async function seed(client: pg.ClientBase): Promise<void> {
  const passwordHash = await hashPassword(SEED_PASSWORD)
  const sectionValues = SECTIONS.map(([n, p, c], i) => `(${i}, '${n}', ${p}, ${c})`).join(', ')
  await client.query('begin')
  await client.query(
    `truncate users, events, sections, seats, reservations, tickets, invoices, invoice_lines,
       sessions, refresh_tokens, revoked_tokens, user_tokens, idempotency_keys, friendships, posts, post_likes, post_counts, event_counts
     restart identity cascade`,
  )
  await client.query(
    `insert into users (email, username, password_hash, display_name)
     select 'user' || g || '@example.com', 'user' || g, $1, 'User ' || g from generate_series(1, $2::int) g`,
    [passwordHash, SEED.users],
  )
  // Titles and venues from the peer's word lists, so a search (`q=ab`) matches about the same share of events
  // (~29%); they and the start times vary deterministically.
  await client.query(
    `insert into events (organizer_id, title, description, venue, starts_at, status, published_at, currency,
                         min_price_cents)
     select 1 + (g * 7919) % $2::int,
            'Bench ' || (array[${sqlWords(ADJ)}])[1 + (g * 7) % ${ADJ.length}] || ' '
              || (array[${sqlWords(NOUN)}])[1 + (g * 13) % ${NOUN.length}] || ' ' || g,
            'Seeded for the benchmark',
            (array[${sqlWords(VENUES)}])[1 + g % ${VENUES.length}],
            timestamptz '2027-01-01' + ((g * 7907) % 525600) * interval '1 minute',
            'published', now(), 'AUD', ${SECTIONS[0]![1]}
     from generate_series(1, $1::int) g`,
    [SEED.events, SEED.users],
  )
  await client.query(
    `insert into sections (event_id, name, kind, price_cents, capacity, position)
     select e.id, s.name, 'general', s.price, s.capacity, s.position
     from events e cross join (values ${sectionValues}) s(position, name, price, capacity)`,
  )
  // Ticket g goes to section 1 + g % 5000 (10 per section, under every capacity), held by a spread of users.
  await client.query(
    `insert into reservations (event_id, booker_id, expires_at)
     select s.event_id, 1 + (g::bigint * 104729) % $2::int, now() - interval '1 day'
     from generate_series(1, $1::int) g join sections s on s.id = 1 + g % (select count(*) from sections)`,
    [SEED.tickets, SEED.users],
  )
  await client.query(
    `insert into tickets (reservation_id, event_id, section_id, holder_id, booker_id, status, price_cents)
     select r.id, r.event_id, s.id, r.booker_id, r.booker_id, 'confirmed', s.price_cents
     from reservations r join sections s on s.id = 1 + r.id % (select count(*) from sections)`,
  )
  await client.query(
    `insert into invoices (number, reservation_id, event_id, payer_id, amount_cents, currency, status, due_at, paid_at)
     select 'INV-BENCH-' || lpad(t.id::text, 6, '0'), t.reservation_id, t.event_id, t.holder_id, t.price_cents,
            'AUD', 'paid', now() - interval '1 day', now() - interval '1 day'
     from tickets t`,
  )
  await client.query(
    `insert into invoice_lines (invoice_id, ticket_id, description, amount_cents)
     select i.id, t.id, 'Bench ticket', t.price_cents from invoices i join tickets t on t.reservation_id = i.reservation_id`,
  )
  await client.query(
    `update sections s set sold = c.n from (select section_id, count(*)::int n from tickets group by section_id) c
     where c.section_id = s.id`,
  )
  // Posts spread over the last 90 days, every other one about an event; likes are distinct (user, post)
  // pairs (the like_count trigger counts them as they go in, as it would one by one).
  await client.query(
    `insert into posts (author_id, body, event_id, created_at, updated_at)
     select 1 + (g::bigint * 7919) % $2::int,
            'Post ' || g || ': ' || (array[${sqlWords([...NOUN, ...ADJ])}])[1 + g % ${NOUN.length + ADJ.length}]
              || ' ' || md5(g::text),
            case when g % 2 = 0 then 1 + (g * 31) % $3::int end,
            timestamptz '2027-01-01' - ((g::bigint * 104729) % (90 * 86400)) * interval '1 second',
            timestamptz '2027-01-01' - ((g::bigint * 104729) % (90 * 86400)) * interval '1 second'
     from generate_series(1, $1::int) g`,
    [SEED.posts, SEED.users, SEED.events],
  )
  // Like k goes to post 1 + k % posts, from one of 5 users 1,999 apart: 5 likes per post, each from its own user.
  await client.query(
    `insert into post_likes (user_id, post_id)
     select 1 + ((k / $1::int) * 1999 + (k % $1::int) * 7) % $3::int, 1 + k % $1::int
     from generate_series(0, $2::int - 1) k on conflict do nothing`,
    [SEED.posts, SEED.likes, SEED.users],
  )
  await client.query('commit')
  await client.query('vacuum analyze')
}
