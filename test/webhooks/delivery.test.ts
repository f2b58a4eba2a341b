// Deliveries to a real local receiver by the in-process workers: signed the Standard Webhooks way, retried
// with backoff after a 5xx or while the receiver is down, failed once the retry window has passed, sent again
// on request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBoxOfficeApp, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { makeEvent } from '../factories/events.js'
import type { App, TestUser } from '../helpers.js'
import { freePort, waitUntil } from '../mail/inbox.js'
import { type Receiver, startReceiver, verified } from './receiver.js'

const SHORT_RETRIES = {
  WORKERS_IN_PROCESS: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOKS_TIMEOUT: '2',
  WEBHOOKS_RETRY_DELAY: '0.5',
  WEBHOOKS_RETRY_MAX_DELAY: '1',
}

let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
})
afterAll(() => receiver.close())

interface Delivery {
  id: number
  type: string
  status: string
  attempts: number
  last_status_code: number | null
  next_attempt_at: string | null
}

/** An organizer with an endpoint at `url`, and a buyer whose paid ticket sends it one ticket.confirmed. */
function scenario(app: () => App) {
  return {
    async hook(url: string, events = ['ticket.confirmed']) {
      const [organizer, buyer] = (await quickUsers(app(), 2)) as [TestUser, TestUser]
      const res = await app().inject({
        method: 'POST',
        url: '/api/v1/users/me/webhooks',
        headers: organizer.auth,
        payload: { url, events },
      })
      expect(res.statusCode, res.body).toBe(201)
      return { organizer, buyer, hook: res.json() as { id: number; secret: string } }
    },
    async buy(organizer: TestUser, buyer: TestUser) {
      const event = await makeEvent(app(), organizer)
      const made = (await reserveAs(app(), buyer, event.id, { section_id: event.sections[0]!.id })).json()
      expect((await payAs(app(), buyer, made.invoices[0].id)).statusCode).toBe(200)
      return made.tickets[0] as { id: number }
    },
    async deliveries(organizer: TestUser, hookId: number): Promise<Delivery[]> {
      const res = await app().inject({
        method: 'GET',
        url: `/api/v1/webhooks/${hookId}/deliveries`,
        headers: organizer.auth,
      })
      return res.json().data
    },
  }
}

describe('with a retry window of two minutes', () => {
  let app: App
  beforeAll(async () => {
    app = await buildBoxOfficeApp({ ...SHORT_RETRIES, WEBHOOKS_RETRY_WINDOW: '120' })
  })
  afterAll(() => app.close())
  const s = scenario(() => app)

  it('when a ticket is paid, then the receiver gets one POST that verifies with the secret, with the ticket as data', async () => {
    const { organizer, buyer, hook } = await s.hook(`http://127.0.0.1:${receiver.port}/signed`)
    const ticket = await s.buy(organizer, buyer)
    const [got] = await waitUntil(async () => receiver.to('signed').length > 0 && receiver.to('signed'))
    const body = verified(hook.secret, got!)
    // The ticket as its organizer sees it: without the holder's entry code, which never leaves for a webhook URL.
    const seen = await app.inject({
      method: 'GET',
      url: `/api/v1/tickets/${ticket.id}`,
      headers: organizer.auth,
    })
    expect(body).toEqual({ type: 'ticket.confirmed', timestamp: expect.any(String), data: seen.json() })
    expect(body.data).not.toHaveProperty('code')
    expect(got!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/)
    expect(got!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
    expect(got!.headers['content-type']).toBe('application/json')
    expect(() => verified(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, got!)).toThrow()
    const [delivery] = await waitUntil(async () => {
      const all = await s.deliveries(organizer, hook.id)
      return all[0]?.status === 'succeeded' && all
    })
    expect(delivery).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status_code: 204,
      next_attempt_at: null,
    })
    expect(receiver.to('signed')).toHaveLength(1)
  })

  it('when the receiver answers 500, then the delivery is retried with backoff under the same webhook-id until a 2xx', async () => {
    const { organizer, buyer, hook } = await s.hook(`http://127.0.0.1:${receiver.port}/flaky`)
    receiver.answer = 500
    await s.buy(organizer, buyer)
    await waitUntil(async () => receiver.to('flaky').length >= 2, 30_000)
    const failing = (await s.deliveries(organizer, hook.id))[0]!
    expect(failing).toMatchObject({ status: 'pending', last_status_code: 500 })
    expect(failing.attempts).toBeGreaterThanOrEqual(1)
    receiver.answer = 204
    const [done] = await waitUntil(async () => {
      const all = await s.deliveries(organizer, hook.id)
      return all[0]?.status === 'succeeded' && all
    }, 30_000)
    const got = receiver.to('flaky')
    expect(done!.attempts).toBe(got.length)
    expect(done!.last_status_code).toBe(204)
    expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(1)
    // Each retry waited its delay (startAfter: at least one second here).
    for (let i = 1; i < got.length; i++) expect(got[i]!.at - got[i - 1]!.at).toBeGreaterThanOrEqual(900)
    for (const r of got) verified(hook.secret, r)
  }, 60_000)

  it('when the receiver is down and comes back, then the one delivery succeeds and the event arrives (at least once)', async () => {
    const port = await freePort()
    const { organizer, buyer, hook } = await s.hook(`http://127.0.0.1:${port}/back`)
    await s.buy(organizer, buyer)
    await waitUntil(async () => ((await s.deliveries(organizer, hook.id))[0]?.attempts ?? 0) >= 2, 30_000)
    const down = (await s.deliveries(organizer, hook.id))[0]!
    expect(down).toMatchObject({
      status: 'pending',
      last_status_code: null,
      next_attempt_at: expect.any(String),
    })
    const back = await startReceiver(port)
    try {
      await waitUntil(async () => (await s.deliveries(organizer, hook.id))[0]?.status === 'succeeded', 30_000)
      const log = await s.deliveries(organizer, hook.id)
      expect(log).toHaveLength(1)
      expect(log[0]).toMatchObject({ type: 'ticket.confirmed', status: 'succeeded', last_status_code: 204 })
      expect(back.to('back').length).toBeGreaterThanOrEqual(1)
      expect(new Set(back.to('back').map((r) => verified(hook.secret, r).type))).toEqual(
        new Set(['ticket.confirmed']),
      )
    } finally {
      await back.close()
    }
  }, 60_000)

  it('when the owner redelivers a succeeded delivery, then it is sent again with the same webhook-id (202)', async () => {
    const { organizer, buyer, hook } = await s.hook(`http://127.0.0.1:${receiver.port}/again`)
    await s.buy(organizer, buyer)
    const [first] = await waitUntil(async () => {
      const all = await s.deliveries(organizer, hook.id)
      return all[0]?.status === 'succeeded' && all
    })
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/webhooks/${hook.id}/deliveries/${first!.id}/redeliver`,
      headers: organizer.auth,
    })
    expect(res.statusCode).toBe(202)
    await waitUntil(async () => receiver.to('again').length === 2)
    const [a, b] = receiver.to('again')
    expect(a!.headers['webhook-id']).toBe(b!.headers['webhook-id'])
    const after = await waitUntil(async () => {
      const d = (await s.deliveries(organizer, hook.id))[0]
      return d?.attempts === 2 && d
    })
    expect(after).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('when the endpoint is deactivated before a pending delivery goes, then nothing is sent and it ends failed', async () => {
    const { organizer, buyer, hook } = await s.hook(`http://127.0.0.1:${receiver.port}/off`)
    receiver.answer = 503
    await s.buy(organizer, buyer)
    await waitUntil(async () => receiver.to('off').length >= 1)
    receiver.answer = 204
    await app.inject({
      method: 'PATCH',
      url: `/api/v1/webhooks/${hook.id}`,
      headers: organizer.auth,
      payload: { active: false },
    })
    const sent = receiver.to('off').length
    const [failed] = await waitUntil(async () => {
      const all = await s.deliveries(organizer, hook.id)
      return all[0]?.status === 'failed' && all
    }, 30_000)
    expect(failed).toMatchObject({ status: 'failed', next_attempt_at: null })
    expect(receiver.to('off').length).toBe(sent)
  }, 60_000)
})

describe('with a retry window of four seconds', () => {
  let app: App
  beforeAll(async () => {
    app = await buildBoxOfficeApp({ ...SHORT_RETRIES, WEBHOOKS_RETRY_WINDOW: '4' })
  })
  afterAll(() => app.close())
  const s = scenario(() => app)

  it('when the receiver keeps failing past the window, then the delivery ends failed with its last status, and a redeliver starts a new window', async () => {
    const { organizer, buyer, hook } = await s.hook(`http://127.0.0.1:${receiver.port}/doomed`)
    receiver.answer = 500
    try {
      await s.buy(organizer, buyer)
      const [failed] = await waitUntil(async () => {
        const all = await s.deliveries(organizer, hook.id)
        return all[0]?.status === 'failed' && all
      }, 30_000)
      expect(failed).toMatchObject({ status: 'failed', last_status_code: 500, next_attempt_at: null })
      expect(failed!.attempts).toBeGreaterThanOrEqual(2)
      expect(receiver.to('doomed')).toHaveLength(failed!.attempts)
      receiver.answer = 204
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/webhooks/${hook.id}/deliveries/${failed!.id}/redeliver`,
        headers: organizer.auth,
      })
      expect(res.statusCode).toBe(202)
      expect(res.json()).toMatchObject({ status: 'pending' })
      await waitUntil(async () => (await s.deliveries(organizer, hook.id))[0]?.status === 'succeeded', 30_000)
      expect((await s.deliveries(organizer, hook.id))[0]!.attempts).toBe(failed!.attempts + 1)
    } finally {
      receiver.answer = 204
    }
  }, 60_000)
})
