// Two hot paths use library internals on purpose, and this file pins them, so that an upgrade fails here
// (and is reviewed) instead of misbehaving in production:
// - runStatement (src/db/client.ts) runs raw SQL as a *named* prepared statement through drizzle's private
//   `session.prepareQuery`: a drizzle handle, above all a transaction, has no public way to name a raw
//   statement, and the reservation statement and pg-boss's insert inside a transaction need one (parsed and
//   planned once per connection).
// - jobInsertSql (src/jobs/boss.ts) embeds pg-boss's own job insert (`src/plans.js` insertJobs) in the
//   reservation statement, so that a reservation and its e-mails are written by one statement; pg-boss's
//   public `insert()` would be a second statement and a second round trip on the hot path.
// Both packages are pinned to an exact version in package.json.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runStatement } from '../../src/db/client.js'
import { BOSS_SCHEMA, jobInsertSql } from '../../src/jobs/boss.js'
import { type App, buildTestApp, usingPostgres } from '../helpers.js'

const require = createRequire(import.meta.url)
const manifest = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
const ours = manifest('package.json') as { dependencies: Record<string, string> }
const installed = (name: string) => manifest(`node_modules/${name}/package.json`).version

/** What the internals were reviewed against. Change them only with a review of runStatement and jobInsertSql. */
const PINNED = { 'drizzle-orm': '0.45.4', 'pg-boss': '10.4.2' }
const INSERT_JOBS_SHA256 = '59939ee7f285cc4c969fbef1d598218336ed60136daf4456f45a47203fcb7b1d'

describe('library internals the box office relies on', () => {
  it('when drizzle-orm or pg-boss is not the exact reviewed version, then this fails', () => {
    for (const [name, version] of Object.entries(PINNED)) {
      expect(ours.dependencies[name], `${name} pinned in package.json`).toBe(version)
      expect(installed(name), `${name} installed`).toBe(version)
    }
  })

  it("when pg-boss's job insert changes its text, then this fails (jobInsertSql rewrites its parameters)", () => {
    const plans = require('pg-boss/src/plans.js') as { insertJobs(schema: string): string }
    const text = plans.insertJobs(BOSS_SCHEMA)
    expect(createHash('sha256').update(text).digest('hex')).toBe(INSERT_JOBS_SHA256)
    expect(() => jobInsertSql('$1::json')).not.toThrow()
  })

  describe('runStatement', () => {
    let app: App
    beforeAll(async () => {
      app = await buildTestApp()
    })
    afterAll(() => app?.close())

    it('when run inside a transaction, then it runs there, as a named prepared statement on PostgreSQL', async () => {
      const statement = { name: 'internals_probe', text: 'select $1::int + 1 as n' }
      const seen = await app.ctx.db.transaction(async (tx) => {
        const rows = await runStatement<{ n: number }>(tx, statement, [41])
        const prepared = usingPostgres()
          ? await runStatement<{ name: string }>(
              tx,
              {
                name: 'internals_probe_list',
                text: 'select name from pg_prepared_statements where name = $1',
              },
              [statement.name],
            )
          : [{ name: statement.name }]
        return { n: rows[0]?.n, prepared: prepared.map((p) => p.name) }
      })
      expect(seen).toEqual({ n: 42, prepared: ['internals_probe'] })
    })
  })
})
