// One process at a time on an embedded database: a second server (or command) on the same DATA_DIR refuses to
// start, naming the process that has it, instead of writing beside it and leaving the directory unreadable.
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { openDatabase, rowsOf } from '../../src/db/client.js'

/** This process's environment without a database or Redis URL: the embedded default. */
const { DATABASE_URL: _d, DATABASE_READ_URL: _r, REDIS_URL: _s, ...embedded } = process.env

/** Runs `args` (a server or a command) on `dataDir` to its end: its exit code and what it wrote to stderr. */
function run(args: string[], dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      env: { ...embedded, DATA_DIR: dataDir, PORT: '0', NODE_ENV: 'test' },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr += String(d)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}

/** A pid that ran and is gone: a short child's, after it exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'])
  await new Promise((r) => child.on('exit', r))
  return child.pid!
}

const select1 = async (database: Awaited<ReturnType<typeof openDatabase>>) =>
  rowsOf<{ one: number }>(database.db, sql`select 1 as one`)

describe('the embedded database in DATA_DIR', () => {
  it('is refused to a second server and a second command while a process has it, and that one keeps working', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stagedoor-lock-'))
    const database = await openDatabase({ dataDir })
    try {
      expect(readFileSync(join(dataDir, 'db.lock'), 'utf8').trim()).toBe(String(process.pid))
      const [server, command] = await Promise.all([
        run(['src/server.ts'], dataDir),
        run(['src/cli.ts', 'migrate'], dataDir),
      ])
      for (const other of [server, command]) {
        expect(other.code).toBe(1)
        expect(other.stderr).toContain(`in use by another process (pid ${process.pid})`)
        // One line in words, not a stack trace.
        expect(other.stderr).not.toMatch(/\n\s+at /)
      }
      // In this process too: a second open of the same directory.
      await expect(openDatabase({ dataDir })).rejects.toThrow('in use by this process')
      expect(await select1(database)).toEqual([{ one: 1 }])
    } finally {
      await database.close()
    }
    // Closed, the file is gone and the next process opens it.
    expect(existsSync(join(dataDir, 'db.lock'))).toBe(false)
    const next = await openDatabase({ dataDir })
    expect(await select1(next)).toEqual([{ one: 1 }])
    await next.close()
  }, 120_000)

  it('is taken over from a process that is gone (a crash left its file), or from a previous life of this pid', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stagedoor-lock-'))
    for (const left of [String(await deadPid()), String(process.pid), '']) {
      writeFileSync(join(dataDir, 'db.lock'), left)
      const database = await openDatabase({ dataDir })
      expect(readFileSync(join(dataDir, 'db.lock'), 'utf8').trim()).toBe(String(process.pid))
      expect(await select1(database)).toEqual([{ one: 1 }])
      await database.close()
    }
  }, 120_000)
})
