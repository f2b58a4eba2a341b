// One HTTP POST of a signed webhook: no redirects followed, a bound on the whole exchange, and the SSRF guard
// on the address actually connected to.
import http from 'node:http'
import https from 'node:https'
import { assertPublicHost, guardedLookup, type Resolver, systemResolver } from './webhooks.url.js'

export interface WebhookPost {
  url: string
  headers: Record<string, string>
  body: string
  timeoutMs: number
  /** WEBHOOKS_ALLOW_PRIVATE: connect wherever the name resolves. */
  allowPrivate: boolean
  resolve?: Resolver
}

/** A 2xx is delivered; anything else (a 3xx included: redirects are not followed) is a failed attempt. */
export interface PostOutcome {
  ok: boolean
  statusCode: number | null
  error: string | null
}

export async function postWebhook(post: WebhookPost): Promise<PostOutcome> {
  let url: URL
  try {
    url = new URL(post.url)
    if (!post.allowPrivate) assertPublicHost(url)
  } catch (err) {
    return { ok: false, statusCode: null, error: (err as Error).message }
  }
  return new Promise((resolve) => {
    let settled = false
    const done = (outcome: PostOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const fail = (err: Error) => done({ ok: false, statusCode: null, error: err.message })
    const transport = url.protocol === 'https:' ? https : http
    const req = transport.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(post.body).toString(),
        'user-agent': 'Stagedoor-Webhooks',
        ...post.headers,
      },
      // A fresh connection per attempt, resolved (and checked) now.
      agent: false,
      lookup: guardedLookup(post.resolve ?? systemResolver, post.allowPrivate),
    })
    const timer = setTimeout(
      () => req.destroy(new Error(`no answer within ${post.timeoutMs} ms`)),
      post.timeoutMs,
    )
    req.on('response', (res) => {
      const status = res.statusCode ?? 0
      done({ ok: status >= 200 && status < 300, statusCode: status, error: null })
      // The status is the answer; the body is not read (a receiver could send one without end).
      res.destroy()
    })
    req.on('error', fail)
    req.end(post.body)
  })
}
