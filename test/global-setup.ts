// Builds one migrated database template per run: a PGlite snapshot, or a PostgreSQL template database
// when TEST_DATABASE_URL is set. Each test file then gets its own copy in well under a second.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { openDatabase, openPglite } from '../src/db/client.js'
import { migrationsFolder, runMigrations } from '../src/db/migrate.js'

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteSnapshot: string
    pgTemplate: string
  }
}

function migrationsDigest(): string {
  const hash = createHash('sha256')
  for (const f of readdirSync(migrationsFolder, { recursive: true }).map(String).sort()) {
    if (f.endsWith('.sql') || f.endsWith('.json'))
      hash.update(f).update(readFileSync(join(migrationsFolder, f)))
  }
  return hash.digest('hex').slice(0, 16)
}

export default async function setup(project: TestProject) {
  const digest = migrationsDigest()
  const url = process.env.TEST_DATABASE_URL
  if (url) {
    const template = `stagedoor_tpl_${digest}_${process.pid}`
    const admin = new pg.Client({ connectionString: url })
    await admin.connect()
    await admin.query(`drop database if exists ${template}`)
    await admin.query(`create database ${template}`)
    const target = new URL(url)
    target.pathname = `/${template}`
    const database = await openDatabase({ databaseUrl: target.toString() })
    await runMigrations(database)
    await database.close()
    project.provide('pgTemplate', template)
    project.provide('pgliteSnapshot', '')
    return async () => {
      // Every test file's database was copied from the template and carries its name as a prefix.
      const { rows } = await admin.query<{ datname: string }>(
        'select datname from pg_database where datname like $1',
        [`${template}%`],
      )
      for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`)
      await admin.end()
    }
  }
  // One file per run: concurrent runs (several checkouts, CI) must never read each other's half-written snapshot.
  const file = join(tmpdir(), `stagedoor-test-${digest}-${process.pid}.tar.gz`)
  const client = await openPglite()
  const database = await openDatabase({ pglite: client })
  // With pg-boss's schema and queues, so that no test app pays for their DDL.
  await runMigrations(database)
  const dump = await client.dumpDataDir('gzip')
  writeFileSync(file, Buffer.from(await dump.arrayBuffer()))
  await client.close()
  project.provide('pgliteSnapshot', file)
  project.provide('pgTemplate', '')
  return () => rmSync(file, { force: true })
}
