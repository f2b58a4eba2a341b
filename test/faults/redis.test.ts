// Redis goes away: the rate limits keep applying (counted in the process, so the auth limits never fail open)
// and /health/ready reports Redis degraded but stays 200. The test starts a Redis server of its own and stops
// that one; the shared one is never touched.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type App, buildTestApp, usingPostgres } from '../helpers.js'

const hasRedisServer = (() => {
  try {
    execFileSync('redis-server', ['--version'])
    return true
  } catch {
    return false
  }
})()

/** A free port in 3200–3299 (the range these tests may listen on). */
async function freePort(): Promise<number> {
  for (let port = 3200 + Math.floor(Math.random() * 100), tries = 0; tries < 100; tries++) {
    const p = 3200 + ((port + tries) % 100)
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false))
      s.listen(p, '127.0.0.1', () => s.close(() => resolve(true)))
    })
    if (free) return p
  }
  throw new Error('no free port in 3200-3299')
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  for (let i = 0; i < 50; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end(() => resolve(true)))
      socket.once('error', () => resolve(false))
    })
    if (up) return child
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error('redis-server did not start')
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

describe.skipIf(!usingPostgres() || !hasRedisServer)('Redis down', () => {
  let app: App
  let redis: ChildProcess
  const run = Math.floor(Math.random() * 250)

  beforeAll(async () => {
    const port = await freePort()
    redis = await startRedis(port)
    app = await buildTestApp({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RATE_LIMIT_AUTH_PER_MINUTE: '3',
    })
  })
  afterAll(async () => {
    await app?.close()
    if (redis) await stopRedis(redis)
  })

  const login = (email: string, remoteAddress: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: 'whatever-it-is-1' },
      remoteAddress,
    })

  it('limits still apply and /health/ready stays 200 with Redis reported degraded', async () => {
    const ready = await app.inject({ method: 'GET', url: '/health/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json().checks.redis).toBe('ok')

    await stopRedis(redis)

    const degraded = await app.inject({ method: 'GET', url: '/health/ready' })
    expect(degraded.statusCode).toBe(200)
    expect(degraded.json()).toMatchObject({
      status: 'degraded',
      checks: { database: 'ok', redis: 'degraded' },
    })

    const statuses: number[] = []
    for (let i = 0; i < 5; i++)
      statuses.push((await login(`nobody-${run}-${i}@example.com`, `10.77.${run}.1`)).statusCode)
    expect(statuses).toEqual([401, 401, 401, 429, 429])
  })
})
