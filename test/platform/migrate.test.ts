// Several servers starting at once on a new PostgreSQL database (WEB_CONCURRENCY, a fleet's first deploy):
// one migrates, the others wait, and all of them come up. PostgreSQL only: PGlite is one process's database.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { type App, buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { migrationsFolder } from '../../src/db/migrate.js'
import { MAIL_QUEUE } from '../../src/jobs/boss.js'
import { SCHEDULED_JOBS } from '../../src/jobs/schedules.js'
import { emptyPostgresDatabase, usingPostgres } from '../helpers.js'

const apps: App[] = []
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()))
})

function serverOn(databaseUrl: string): Promise<App> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'stagedoor-test-')),
    JWT_SECRET: randomBytes(32).toString('hex'),
    MIGRATE_ON_START: 'true',
    LOG_LEVEL: 'silent',
    WORKERS_IN_PROCESS: 'true',
    JOBS_SCHEDULES_ENABLED: 'true',
  })
  return buildApp(config).then(async (app) => {
    apps.push(app)
    await app.ready()
    return app
  })
}

describe.runIf(usingPostgres())('start-up on a new database', () => {
  it('four servers starting at once all come up, with every migration and queue created once', async () => {
    const url = await emptyPostgresDatabase()
    const started = await Promise.allSettled([1, 2, 3, 4].map(() => serverOn(url)))
    expect(started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'up'))).toEqual([
      'up',
      'up',
      'up',
      'up',
    ])
    const res = await apps[0]!.inject({ method: 'GET', url: '/health/ready' })
    expect(res.statusCode).toBe(200)

    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const migrations = await client.query('select count(*)::int as n from drizzle.__drizzle_migrations')
      const files = readdirSync(migrationsFolder).filter((f) => f.endsWith('.sql'))
      expect(migrations.rows[0].n).toBe(files.length)
      const queues = await client.query<{ name: string }>('select name from pgboss.queue order by name')
      const names = queues.rows.map((r) => r.name)
      for (const wanted of [MAIL_QUEUE, ...SCHEDULED_JOBS.map((j) => j.name)]) expect(names).toContain(wanted)
      expect(new Set(names).size).toBe(names.length)
    } finally {
      await client.end()
    }
  })
})
