// Webhook endpoints through the API: the owner's CRUD, the secret shown once, the SSRF refusals, and the
// deliveries the box office writes for each event type (no workers here: the rows and jobs are asserted).
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBoxOfficeApp, getAs, payAs, quickUsers, reserveAs } from '../factories/boxoffice.js'
import { checkInAs, codeOf, confirmedTicket } from '../factories/checkin.js'
import { makeEvent } from '../factories/events.js'
import { makeFriends } from '../factories/social.js'
import { joinAs, runWaitlistJobs } from '../factories/waitlist.js'
import type { App, TestUser } from '../helpers.js'
import { jobRows } from '../jobs/helpers.js'

let app: App
let organizer: TestUser
let buyer: TestUser
let friend: TestUser
let stranger: TestUser
beforeAll(async () => {
  app = await buildBoxOfficeApp()
  ;[organizer, buyer, friend, stranger] = (await quickUsers(app, 4)) as [
    TestUser,
    TestUser,
    TestUser,
    TestUser,
  ]
  await makeFriends(app, buyer, friend)
})
afterAll(() => app.close())

const PUBLIC_URL = 'https://93.184.215.14/hooks/stagedoor'
const ALL_TYPES = [
  'ticket.confirmed',
  'ticket.refunded',
  'ticket.transferred',
  'event.cancelled',
  'check_in.created',
  'waitlist.offered',
]

const call = (
  user: TestUser | null,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
) => app.inject({ method, url: `/api/v1${url}`, headers: user?.auth ?? {}, ...(payload ? { payload } : {}) })

async function createHook(user: TestUser, body: object = {}) {
  const res = await call(user, 'POST', '/users/me/webhooks', { url: PUBLIC_URL, events: ALL_TYPES, ...body })
  expect(res.statusCode, res.body).toBe(201)
  expect(res.headers.location).toBe(`/api/v1/webhooks/${res.json().id}`)
  return res.json()
}

async function deliveriesOf(user: TestUser, hookId: number) {
  const res = await call(user, 'GET', `/webhooks/${hookId}/deliveries?per_page=100`)
  expect(res.statusCode).toBe(200)
  return res.json().data as { id: number; type: string; status: string; attempts: number }[]
}

async function payloadOf(deliveryId: number): Promise<unknown> {
  const result = (await app.ctx.db.execute(
    sql`select payload from webhook_deliveries where id = ${deliveryId}`,
  )) as unknown as { rows: { payload: unknown }[] }
  return result.rows[0]?.payload
}

describe('POST /users/me/webhooks', () => {
  it('when the body is valid, then 201 with the endpoint and a whsec_ secret of 32 random bytes, shown once', async () => {
    const [owner] = await quickUsers(app, 1)
    const created = await createHook(owner!, { events: ['ticket.confirmed'] })
    expect(created).toEqual({
      id: expect.any(Number),
      url: PUBLIC_URL,
      events: ['ticket.confirmed'],
      active: true,
      created_at: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+={0,2}$/),
    })
    expect(Buffer.from(created.secret.slice(6), 'base64')).toHaveLength(32)
    const again = await createHook(owner!)
    expect(again.secret).not.toBe(created.secret)
    const one = await call(owner!, 'GET', `/webhooks/${created.id}`)
    expect(one.json()).not.toHaveProperty('secret')
    const list = await call(owner!, 'GET', '/users/me/webhooks')
    expect(list.json()).toMatchObject({ page: 1, per_page: 20, total: 2, total_pages: 1 })
    expect(list.body).not.toContain('whsec_')
    expect(list.headers.link).toContain('rel="first"')
  })

  it('when an event type is unknown, the list is empty or the URL is not http(s), then 400 VALIDATION_FAILED', async () => {
    for (const body of [
      { url: PUBLIC_URL, events: ['ticket.sold'] },
      { url: PUBLIC_URL, events: [] },
      { url: 'ftp://93.184.215.14/x', events: ['ticket.confirmed'] },
      { url: 'javascript:alert(1)', events: ['ticket.confirmed'] },
      { events: ['ticket.confirmed'] },
    ]) {
      const res = await call(organizer, 'POST', '/users/me/webhooks', body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(res.json().code).toBe('VALIDATION_FAILED')
    }
  })

  it('when the URL is or resolves to a non-public address, then 400 WEBHOOK_URL_FORBIDDEN', async () => {
    for (const url of [
      'http://127.0.0.1/hook',
      'http://127.1.2.3:8080/hook',
      'http://2130706433/hook', // 127.0.0.1 written as one number
      'http://0x7f.0.0.1/hook',
      'http://10.0.0.5/hook',
      'http://172.16.0.1/hook',
      'http://192.168.1.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/hook',
      'http://0.0.0.0/hook',
      'http://224.0.0.1/hook',
      'http://[::1]/hook',
      'http://[::]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:a9fe:a9fe]/hook',
      'http://[::127.0.0.1]/hook',
      'http://[::a9fe:a9fe]/hook',
      'http://[fe80::1]/hook',
      'http://[fd12:3456::1]/hook',
      'http://[ff02::1]/hook',
      'http://localhost/hook',
      'http://localhost./hook',
      'http://LOCALHOST:3000/hook',
      'http://no-such-host.invalid/hook',
    ]) {
      const res = await call(organizer, 'POST', '/users/me/webhooks', { url, events: ['ticket.confirmed'] })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().code, url).toBe('WEBHOOK_URL_FORBIDDEN')
    }
  })

  it('when the URL carries a user name or password, or a port out of range, then 400 VALIDATION_FAILED at body.url', async () => {
    for (const [url, message] of [
      [
        'http://user:pw@93.184.216.34/hook',
        'must not contain a user name or password: verify the signature instead',
      ],
      [
        'https://token@93.184.216.34/hook',
        'must not contain a user name or password: verify the signature instead',
      ],
      ['http://93.184.216.34:99999/hook', 'is not a valid URL (a port is 1–65535)'],
      ['http://[fe80::1%25eth0]/hook', 'is not a valid absolute URL'],
    ] as const) {
      const res = await call(organizer, 'POST', '/users/me/webhooks', { url, events: ['ticket.confirmed'] })
      expect(res.statusCode, url).toBe(400)
      expect(res.json().code, url).toBe('VALIDATION_FAILED')
      expect(res.json().errors, url).toEqual([{ path: 'body.url', message }])
    }
    const list = await call(organizer, 'GET', '/users/me/webhooks')
    expect(JSON.stringify(list.json())).not.toContain('pw@')
  })

  it('when the address is public, IPv4, IPv6 or IPv4-mapped, then it is accepted', async () => {
    const [owner] = await quickUsers(app, 1)
    for (const url of ['https://[2606:4700:4700::1111]/h', 'http://[::ffff:93.184.215.14]:8080/h']) {
      const res = await call(owner!, 'POST', '/users/me/webhooks', { url, events: ['event.cancelled'] })
      expect(res.statusCode, url).toBe(201)
    }
  })

  it('when the account has 10 endpoints already, then 409 CONFLICT', async () => {
    const [owner] = await quickUsers(app, 1)
    for (let i = 0; i < 10; i++) await createHook(owner!)
    const res = await call(owner!, 'POST', '/users/me/webhooks', { url: PUBLIC_URL, events: ALL_TYPES })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('CONFLICT')
  })

  it('without a token, then 401 AUTHORIZATION_REQUIRED', async () => {
    const res = await call(null, 'POST', '/users/me/webhooks', { url: PUBLIC_URL, events: ALL_TYPES })
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('AUTHORIZATION_REQUIRED')
  })
})

describe('GET/PATCH/DELETE /webhooks/{id}', () => {
  it("when someone else asks for, changes, deletes, lists or redelivers the owner's endpoint, then 404 NOT_FOUND", async () => {
    const hook = await createHook(organizer)
    for (const [method, url, payload] of [
      ['GET', `/webhooks/${hook.id}`],
      ['PATCH', `/webhooks/${hook.id}`, { active: false }],
      ['DELETE', `/webhooks/${hook.id}`],
      ['GET', `/webhooks/${hook.id}/deliveries`],
      ['POST', `/webhooks/${hook.id}/deliveries/1/redeliver`],
    ] as const) {
      const res = await call(stranger, method, url, payload)
      expect(res.statusCode, `${method} ${url}`).toBe(404)
      expect(res.json().code).toBe('NOT_FOUND')
    }
    const theirs = await call(stranger, 'GET', '/users/me/webhooks')
    expect(theirs.json().data).toEqual([])
    expect((await call(organizer, 'GET', `/webhooks/${hook.id}`)).json()).toMatchObject({ active: true })
  })

  it('when the owner changes events, active and url, then 200 with the change; a private url is 400 WEBHOOK_URL_FORBIDDEN', async () => {
    const hook = await createHook(organizer)
    const res = await call(organizer, 'PATCH', `/webhooks/${hook.id}`, {
      events: ['event.cancelled'],
      active: false,
      url: 'https://93.184.215.15/other',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      id: hook.id,
      url: 'https://93.184.215.15/other',
      events: ['event.cancelled'],
      active: false,
      created_at: hook.created_at,
    })
    const refused = await call(organizer, 'PATCH', `/webhooks/${hook.id}`, { url: 'http://[::1]:9/x' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().code).toBe('WEBHOOK_URL_FORBIDDEN')
    const empty = await call(organizer, 'PATCH', `/webhooks/${hook.id}`, {})
    expect(empty.json().code).toBe('VALIDATION_FAILED')
    // Only unknown fields (a secret cannot be chosen): refused, not a 200 that changed nothing.
    const unknown = await call(organizer, 'PATCH', `/webhooks/${hook.id}`, { secret: 'whsec_QUJD' })
    expect(unknown.statusCode).toBe(400)
    expect(unknown.json().errors).toEqual([
      {
        path: 'body',
        message: 'must name at least one of its fields: url, events, active (unknown fields are ignored)',
      },
    ])
  })

  it('when the owner deletes an endpoint, then 204 and it is gone (404)', async () => {
    const hook = await createHook(organizer)
    expect((await call(organizer, 'DELETE', `/webhooks/${hook.id}`)).statusCode).toBe(204)
    expect((await call(organizer, 'GET', `/webhooks/${hook.id}`)).statusCode).toBe(404)
    expect((await call(organizer, 'DELETE', `/webhooks/${hook.id}`)).statusCode).toBe(404)
  })
})

describe('deliveries written by the box office', () => {
  it("when tickets of the organizer's event are paid, refunded and transferred, then each subscribed endpoint gets one delivery per ticket and type, with the API's ticket as data", async () => {
    const [org] = await quickUsers(app, 1)
    const all = await createHook(org!)
    const confirmedOnly = await createHook(org!, { events: ['ticket.confirmed'] })
    const inactive = await createHook(org!)
    await call(org!, 'PATCH', `/webhooks/${inactive.id}`, { active: false })
    const otherOrganizers = await createHook(stranger)

    const event = await makeEvent(app, org!)
    const made = (
      await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 2 })
    ).json()
    expect((await payAs(app, buyer, made.invoices[0].id)).statusCode).toBe(200)
    const [first, second] = made.tickets as { id: number }[]
    const transfer = await call(buyer, 'POST', `/tickets/${first!.id}/transfer`, { user_id: friend.id })
    expect(transfer.statusCode).toBe(200)
    expect((await call(buyer, 'DELETE', `/tickets/${second!.id}`)).statusCode).toBe(204)

    const toAll = await deliveriesOf(org!, all.id)
    expect(toAll.map((d) => d.type).sort()).toEqual([
      'ticket.confirmed',
      'ticket.confirmed',
      'ticket.refunded',
      'ticket.transferred',
    ])
    expect(toAll.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true)
    expect((await deliveriesOf(org!, confirmedOnly.id)).map((d) => d.type)).toEqual([
      'ticket.confirmed',
      'ticket.confirmed',
    ])
    expect(await deliveriesOf(org!, inactive.id)).toEqual([])
    expect(await deliveriesOf(stranger, otherOrganizers.id)).toEqual([])

    const transferred = toAll.find((d) => d.type === 'ticket.transferred')!
    expect(await payloadOf(transferred.id)).toEqual(transfer.json())
    const refunded = toAll.find((d) => d.type === 'ticket.refunded')!
    expect(await payloadOf(refunded.id)).toEqual((await getAs(app, buyer, `/tickets/${second!.id}`)).body)
    // One job per delivery, enqueued with it.
    const jobs = await jobRows(app, sql`name = 'webhook'`)
    const ids = new Set(jobs.map((j) => j.id))
    expect(ids.size).toBeGreaterThanOrEqual(6)
  })

  it('when the event is cancelled or a waiting-list offer is made, then event.cancelled and waitlist.offered deliveries carry the event and the entry', async () => {
    const [org] = await quickUsers(app, 1)
    const hook = await createHook(org!)
    const event = await makeEvent(app, org!, { sections: [{ capacity: 1 }] })
    const section = event.sections[0]!
    const made = (await reserveAs(app, buyer, event.id, { section_id: section.id })).json()
    const joined = await joinAs(app, stranger, event.id, { section_id: section.id, quantity: 1 })
    expect(joined.statusCode).toBe(201)
    expect((await call(buyer, 'DELETE', `/tickets/${made.tickets[0].id}`)).statusCode).toBe(204)
    expect(await runWaitlistJobs(app)).toBe(1)
    const cancelled = await call(org!, 'POST', `/events/${event.id}/cancel`)
    expect(cancelled.statusCode).toBe(200)

    const deliveries = await deliveriesOf(org!, hook.id)
    expect(deliveries.map((d) => d.type)).toEqual(['event.cancelled', 'waitlist.offered'])
    expect(await payloadOf(deliveries[0]!.id)).toEqual(cancelled.json())
    const entry = (await getAs(app, stranger, '/users/me/waitlist')).body.data[0]
    expect(await payloadOf(deliveries[1]!.id)).toMatchObject({ ...entry, status: 'offered' })
  })

  it('when an event with paid tickets is cancelled, then each paid ticket has its ticket.refunded delivery, as a refund of one ticket has; a held one has none', async () => {
    const [org] = await quickUsers(app, 1)
    const hook = await createHook(org!, { events: ['ticket.refunded', 'event.cancelled'] })
    const event = await makeEvent(app, org!)
    const paid = [await confirmedTicket(app, buyer, event), await confirmedTicket(app, stranger, event)]
    const held = await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })
    expect(held.statusCode).toBe(201)
    const cancelled = await call(org!, 'POST', `/events/${event.id}/cancel`)
    expect(cancelled.statusCode).toBe(200)

    const deliveries = (await deliveriesOf(org!, hook.id)).reverse()
    expect(deliveries.map((d) => d.type)).toEqual(['event.cancelled', 'ticket.refunded', 'ticket.refunded'])
    for (const [i, ticket] of paid.entries()) {
      const holder = i === 0 ? buyer : stranger
      const now = (await getAs(app, holder, `/tickets/${ticket.id}`)).body
      expect(now.status).toBe('cancelled')
      expect(await payloadOf(deliveries[i + 1]!.id)).toEqual(now)
    }
    // Cancelling again changes nothing and sends nothing.
    expect((await call(org!, 'POST', `/events/${event.id}/cancel`)).statusCode).toBe(200)
    expect(await deliveriesOf(org!, hook.id)).toHaveLength(3)
  })

  it('when a ticket is checked in, then one check_in.created delivery carries the check-in; a second scan (409) makes none', async () => {
    const [org] = await quickUsers(app, 1)
    const hook = await createHook(org!, { events: ['check_in.created'] })
    const event = await makeEvent(app, org!)
    const ticket = await confirmedTicket(app, buyer, event)
    const code = (await codeOf(app, buyer, ticket.id))!
    const first = await checkInAs(app, org!, event.id, code)
    expect(first.statusCode, first.body).toBe(201)
    expect((await checkInAs(app, org!, event.id, code)).statusCode).toBe(409)

    const deliveries = await deliveriesOf(org!, hook.id)
    expect(deliveries.map((d) => d.type)).toEqual(['check_in.created'])
    expect(await payloadOf(deliveries[0]!.id)).toEqual({ event_id: event.id, ...first.json() })
  })

  it('when a transaction that would emit rolls back (a declined payment), then no delivery is written', async () => {
    const [org] = await quickUsers(app, 1)
    const hook = await createHook(org!)
    const event = await makeEvent(app, org!)
    const made = (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id })).json()
    expect((await payAs(app, buyer, made.invoices[0].id, 'test_declined')).statusCode).toBe(402)
    expect(await deliveriesOf(org!, hook.id)).toEqual([])
  })
})

describe('GET /webhooks/{id}/deliveries and redeliver', () => {
  it('pages newest first with a Link header; redeliver answers 202 and enqueues the next attempt; an unknown delivery is 404', async () => {
    const [org] = await quickUsers(app, 1)
    const hook = await createHook(org!, { events: ['ticket.confirmed'] })
    const event = await makeEvent(app, org!)
    const made = (
      await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, quantity: 3 })
    ).json()
    await payAs(app, buyer, made.invoices[0].id)
    const page = await call(org!, 'GET', `/webhooks/${hook.id}/deliveries?per_page=2&page=1`)
    expect(page.json()).toMatchObject({ page: 1, per_page: 2, total: 3, total_pages: 2 })
    const ids = page.json().data.map((d: { id: number }) => d.id)
    expect(ids[0]).toBeGreaterThan(ids[1])
    expect(page.headers.link).toContain('rel="next"')
    expect(page.json().data[0]).toEqual({
      id: expect.any(Number),
      type: 'ticket.confirmed',
      status: 'pending',
      attempts: 0,
      last_status_code: null,
      next_attempt_at: expect.any(String),
      created_at: expect.any(String),
    })

    const before = (await jobRows(app, sql`name = 'webhook' and (data->>'deliveryId')::int = ${ids[0]}`))
      .length
    const res = await call(org!, 'POST', `/webhooks/${hook.id}/deliveries/${ids[0]}/redeliver`)
    expect(res.statusCode).toBe(202)
    expect(res.json()).toMatchObject({ id: ids[0], status: 'pending' })
    expect(
      (await jobRows(app, sql`name = 'webhook' and (data->>'deliveryId')::int = ${ids[0]}`)).length,
    ).toBe(before + 1)
    const other = await createHook(org!)
    const wrong = await call(org!, 'POST', `/webhooks/${other.id}/deliveries/${ids[0]}/redeliver`)
    expect(wrong.statusCode).toBe(404)
    expect(wrong.json().code).toBe('NOT_FOUND')
  })
})
