// A real `stagedoor worker` process killed with SIGKILL mid-job, then restarted: the message arrives once.
// PostgreSQL only: PGlite is one process's database, so a separate worker process needs DATABASE_URL.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, registerUser, usingPostgres } from '../helpers.js'
import { type Inbox, startInbox, waitUntil } from '../mail/inbox.js'
import { FAST_REDELIVERY_ENV, jobRows } from './helpers.js'

let app: App
let inbox: Inbox
const children: ChildProcess[] = []

beforeAll(async () => {
  if (!usingPostgres()) return
  inbox = await startInbox()
  app = await buildTestApp({ ...FAST_REDELIVERY_ENV, WORKERS_IN_PROCESS: 'false', SMTP_URL: inbox.url })
})
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})
afterAll(async () => {
  await app?.close()
  await inbox?.close()
})

interface Worker {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      ...FAST_REDELIVERY_ENV,
      NODE_ENV: 'test',
      DATABASE_URL: app.config.DATABASE_URL!,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'stagedoor-worker-')),
      JWT_SECRET: app.config.JWT_SECRET,
      SMTP_URL: inbox.url,
      PUBLIC_URL: app.config.PUBLIC_URL,
      MIGRATE_ON_START: 'false',
      JOBS_SCHEDULES_ENABLED: 'false',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

async function jobState(id: string): Promise<string | undefined> {
  return (await jobRows(app, sql`id = ${id}::uuid`))[0]?.state
}

/** Registers a user (which enqueues the welcome mail) and returns the address and the job id. */
async function enqueueWelcome(): Promise<{ email: string; jobId: string }> {
  const user = await registerUser(app)
  const [job] = await jobRows(app, sql`data->>'email' = ${user.email}`)
  return { email: user.email, jobId: job!.id }
}

async function crashThenRestart(pause: string, extraEnv: Record<string, string> = {}) {
  const { email, jobId } = await enqueueWelcome()
  const first = startWorker({ TEST_MAIL_PAUSE: pause, ...extraEnv })
  await waitUntil(async () => first.output().includes('test pause in mail job'), 30_000).catch((err) => {
    throw new Error(`${err.message}\n${first.output()}`)
  })
  first.child.kill('SIGKILL')
  await first.exited
  const sentBeforeCrash = inbox.messages.filter((m) => m.to.includes(email)).length

  const second = startWorker(extraEnv)
  await waitUntil(async () => (await jobState(jobId)) === 'completed', 40_000).catch((err) => {
    throw new Error(`${err.message}\n${second.output()}`)
  })
  // Anything still in flight has arrived by now.
  await new Promise((r) => setTimeout(r, 500))
  second.child.kill('SIGTERM')
  await second.exited
  return { sentBeforeCrash, received: inbox.messages.filter((m) => m.to.includes(email)) }
}

describe.skipIf(!usingPostgres())('a worker process killed in the middle of a mail job', () => {
  it('killed after sending (sent-log written, job not yet completed): the restart does not send again', async () => {
    const { sentBeforeCrash, received } = await crashThenRestart('after-send:60000')
    expect(sentBeforeCrash).toBe(1)
    expect(received).toHaveLength(1)
  }, 90_000)

  it('killed before sending: the restart sends it, once', async () => {
    const { sentBeforeCrash, received } = await crashThenRestart('before-send:60000')
    expect(sentBeforeCrash).toBe(0)
    expect(received).toHaveLength(1)
  }, 90_000)

  it('control: without the sent-log the same crash after sending delivers twice', async () => {
    const { sentBeforeCrash, received } = await crashThenRestart('after-send:60000', {
      TEST_MAIL_DEDUPE_OFF: 'true',
    })
    expect(sentBeforeCrash).toBe(1)
    expect(received).toHaveLength(2)
    // Same cause, same Message-ID: a receiving system could still fold them.
    expect(received[0]!.messageId).toBe(received[1]!.messageId)
  }, 90_000)

  it('SIGTERM lets the running job finish before the worker exits', async () => {
    const { email, jobId } = await enqueueWelcome()
    const worker = startWorker({ TEST_MAIL_PAUSE: 'before-send:2000' })
    await waitUntil(async () => worker.output().includes('test pause in mail job'), 30_000)
    worker.child.kill('SIGTERM')
    expect(await worker.exited).toBe(0)
    expect(inbox.messages.filter((m) => m.to.includes(email))).toHaveLength(1)
    expect(await jobState(jobId)).toBe('completed')
  }, 60_000)
})
