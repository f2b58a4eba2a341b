// The SSRF guard where it matters most: at connect time, against a resolver whose answer changes after the
// URL was checked (DNS rebinding), and the sender's own rules (no redirects, a time limit).
import type { LookupAddress } from 'node:dns'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { postWebhook } from '../../src/modules/webhooks/webhooks.send.js'
import { checkWebhookUrl, isPublicAddress, type Resolver } from '../../src/modules/webhooks/webhooks.url.js'
import { type Receiver, startReceiver } from './receiver.js'

let receiver: Receiver
beforeAll(async () => {
  receiver = await startReceiver()
})
afterAll(() => receiver.close())

const PUBLIC: LookupAddress = { address: '93.184.215.14', family: 4 }
const LOOPBACK: LookupAddress = { address: '127.0.0.1', family: 4 }

/** A resolver that gives `answers` in turn (the last one from then on), and counts its calls. */
function changingResolver(...answers: LookupAddress[][]): Resolver & { calls: number } {
  const resolve = Object.assign(
    async (_host: string) => answers[Math.min(resolve.calls++, answers.length - 1)]!,
    { calls: 0 },
  )
  return resolve
}

const post = (url: string, resolve: Resolver, allowPrivate = false, timeoutMs = 5000) =>
  postWebhook({ url, headers: {}, body: '{}', timeoutMs, allowPrivate, resolve })

describe('isPublicAddress', () => {
  it('when an address is loopback, private, link-local, unique-local, multicast, unspecified or mapped from one, then it is not public', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.1.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.1.1',
      '0.0.0.0',
      '239.1.1.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd00::abcd',
      'ff05::2',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      // IPv4-compatible (deprecated): loopback, private, link-local, and any other
      '::127.0.0.1',
      '::7f00:1',
      '::a00:1',
      '::a9fe:a9fe',
      '::c0a8:101',
      '::2',
      '::808:808',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(a), a).toBe(false)
    }
    for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(a), a).toBe(true)
    }
  })
})

describe('checkWebhookUrl', () => {
  it('when a name resolves to loopback through the resolver, or to a mix of public and private, then WEBHOOK_URL_FORBIDDEN', async () => {
    const config = { WEBHOOKS_ALLOW_PRIVATE: false }
    await expect(
      checkWebhookUrl(config, 'https://hooks.example.com/x', changingResolver([LOOPBACK])),
    ).rejects.toMatchObject({
      code: 'WEBHOOK_URL_FORBIDDEN',
    })
    await expect(
      checkWebhookUrl(
        config,
        'https://hooks.example.com/x',
        changingResolver([PUBLIC, { address: 'fd00::1', family: 6 }]),
      ),
    ).rejects.toMatchObject({ code: 'WEBHOOK_URL_FORBIDDEN' })
    await expect(
      checkWebhookUrl(config, 'https://hooks.example.com/x', changingResolver([PUBLIC])),
    ).resolves.toBeUndefined()
    await expect(
      checkWebhookUrl(
        { WEBHOOKS_ALLOW_PRIVATE: true },
        'http://hooks.example.com/x',
        changingResolver([LOOPBACK]),
      ),
    ).resolves.toBeUndefined()
  })
})

describe('a delivery connecting', () => {
  it('when the name was public at the check and resolves to loopback at connect time, then the connection is refused and nothing arrives', async () => {
    const resolve = changingResolver([PUBLIC], [LOOPBACK])
    const url = `http://hooks.example.com:${receiver.port}/hook`
    await checkWebhookUrl({ WEBHOOKS_ALLOW_PRIVATE: false }, url, resolve)
    const before = receiver.received.length
    const outcome = await post(url, resolve)
    expect(resolve.calls).toBe(2)
    expect(outcome).toMatchObject({ ok: false, statusCode: null })
    expect(outcome.error).toContain('127.0.0.1')
    expect(receiver.received.length).toBe(before)
  })

  it('control: the same resolver with WEBHOOKS_ALLOW_PRIVATE reaches the receiver (the refusal above is the guard)', async () => {
    const resolve = changingResolver([PUBLIC], [LOOPBACK])
    await resolve('first answer')
    const before = receiver.received.length
    const outcome = await post(`http://hooks.example.com:${receiver.port}/hook`, resolve, true)
    expect(outcome).toEqual({ ok: true, statusCode: 204, error: null })
    expect(receiver.received.length).toBe(before + 1)
  })

  it('when the URL is a literal private address, then it is refused before connecting', async () => {
    const before = receiver.received.length
    const outcome = await post(`http://127.0.0.1:${receiver.port}/hook`, changingResolver([PUBLIC]))
    expect(outcome.ok).toBe(false)
    expect(receiver.received.length).toBe(before)
  })

  it('when the receiver redirects, then the attempt fails with the 3xx and the redirect is not followed', async () => {
    receiver.answer = 302
    const before = receiver.received.length
    const outcome = await post(receiver.url, changingResolver([LOOPBACK]), true)
    receiver.answer = 204
    expect(outcome).toEqual({ ok: false, statusCode: 302, error: null })
    expect(receiver.received.length).toBe(before + 1)
  })

  it('when the receiver does not answer in time, then the attempt fails with no status', async () => {
    receiver.answer = 'hang'
    const started = Date.now()
    const outcome = await post(receiver.url, changingResolver([LOOPBACK]), true, 300)
    receiver.answer = 204
    expect(outcome).toMatchObject({ ok: false, statusCode: null })
    expect(Date.now() - started).toBeLessThan(3000)
  })
})
