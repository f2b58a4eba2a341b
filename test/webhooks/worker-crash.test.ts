// A real `stagedoor worker` process killed with SIGKILL in the middle of a webhook POST: another worker
// finishes the delivery. PostgreSQL only: PGlite is one process's database, so a separate worker needs
// DATABASE_URL. The control acknowledges each job before its attempt (UNSAFE_DISABLE_GUARDS=webhook-ack),
// and the same crash then loses the delivery.
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sql } from 'drizzle-orm'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, type TestUser, usingPostgres } from '../helpers.js'
import { FAST_REDELIVERY_ENV } from '../jobs/helpers.js'
import { waitUntil } from '../mail/inbox.js'
import { type Receiver, startReceiver, verified } from './receiver.js'

// pg-boss hands a dead worker's job on within seconds; webhook attempts time out and retry quickly.
const QUEUE_ENV = {
  ...FAST_REDELIVERY_ENV,
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOKS_TIMEOUT: '2',
  WEBHOOKS_RETRY_DELAY: '1',
  WEBHOOKS_RETRY_MAX_DELAY: '2',
}

let app: App
let receiver: Receiver
const children: ChildProcess[] = []

beforeAll(async () => {
  if (!usingPostgres()) return
  receiver = await startReceiver()
  app = await buildTestApp({ ...QUEUE_ENV, WORKERS_IN_PROCESS: 'false' })
})
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  receiver.answer = 204
})
afterAll(async () => {
  await app?.close()
  await receiver?.close()
})

interface Worker {
  child: ChildProcess
  output: () => string
  exited: Promise<number | null>
}

function startWorker(env: Record<string, string> = {}): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'worker'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      ...QUEUE_ENV,
      NODE_ENV: 'test',
      DATABASE_URL: app.config.DATABASE_URL!,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'stagedoor-worker-')),
      JWT_SECRET: app.config.JWT_SECRET,
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
  const collect = (d: Buffer) => {
    out += d.toString()
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, output: () => out, exited }
}

async function deliveryRow(hookId: number) {
  const result = (await app.ctx.db.execute(
    sql`select status, attempts from webhook_deliveries where endpoint_id = ${hookId}`,
  )) as unknown as { rows: { status: string; attempts: number }[] }
  return result.rows
}

/** An endpoint at the receiver's `/path`, and one paid ticket: one delivery, enqueued. */
async function oneDelivery(path: string) {
  const [organizer, buyer] = (await quickUsers(app, 2)) as [TestUser, TestUser]
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/users/me/webhooks',
    headers: organizer.auth,
    payload: { url: `http://127.0.0.1:${receiver.port}/${path}`, events: ['ticket.confirmed'] },
  })
  const hook = res.json() as { id: number; secret: string }
  const event = await makeEvent(app, organizer)
  const made = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
  expect((await payAs(app, buyer, made.invoices[0].id)).statusCode).toBe(200)
  return hook
}

/** The receiver holds the first POST unanswered; the worker making it is killed then. */
async function killMidDelivery(path: string, env: Record<string, string> = {}) {
  receiver.answer = 'hang'
  const hook = await oneDelivery(path)
  const first = startWorker(env)
  await waitUntil(async () => receiver.to(path).length > 0, 40_000).catch((err) => {
    throw new Error(`${err.message}\n${first.output()}`)
  })
  first.child.kill('SIGKILL')
  await first.exited
  receiver.answer = 204
  return { hook, second: startWorker(env) }
}

describe.skipIf(!usingPostgres())('a worker process killed in the middle of a webhook delivery', () => {
  it('another worker delivers it: the delivery succeeds, the receiver got it again under the same webhook-id', async () => {
    const { hook, second } = await killMidDelivery('crash')
    await waitUntil(async () => (await deliveryRow(hook.id))[0]?.status === 'succeeded', 40_000).catch(
      (err) => {
        throw new Error(`${err.message}\n${second.output()}`)
      },
    )
    expect(await deliveryRow(hook.id)).toEqual([{ status: 'succeeded', attempts: 1 }])
    const got = receiver.to('crash')
    expect(got.length).toBeGreaterThanOrEqual(2)
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1)
    for (const r of got) expect(verified(hook.secret, r).type).toBe('ticket.confirmed')
  }, 90_000)

  it('control: a worker that acknowledges the job before the attempt loses the delivery in the same crash', async () => {
    const { hook, second } = await killMidDelivery('lost', { UNSAFE_DISABLE_GUARDS: 'webhook-ack' })
    // Long enough for an expired job to be handed on several times over (expiry 3 s, retry delay 1 s), as
    // it was in the test above.
    await waitUntil(async () => second.output().includes('job workers started'), 40_000)
    await new Promise((r) => setTimeout(r, 12_000))
    expect(await deliveryRow(hook.id)).toEqual([{ status: 'pending', attempts: 0 }])
    expect(receiver.to('lost')).toHaveLength(1)
  }, 90_000)
})
