// Line breaks people type are shown: posts, comments, messages and event descriptions are in elements whose
// white-space keeps them (the site's stylesheet: white-space: pre-line), and the text stays escaped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../../factories/events.js'
import { makeComment, makeFriends, makePost } from '../../factories/social.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { type Browser, browserFor } from '../browser.js'

let app: App
let a: TestUser
let b: TestUser
let browser: Browser
beforeAll(async () => {
  app = await buildTestApp()
  a = await registerUser(app)
  b = await registerUser(app)
  await makeFriends(app, a, b)
  browser = await browserFor(app, a)
})
afterAll(() => app.close())

const TEXT = 'First line <b>&\nSecond line'
const ESCAPED = 'First line &lt;b>&amp;\nSecond line'

/** The selectors of the site stylesheet's rules that keep line breaks (white-space: pre-line or pre-wrap). */
async function keepingSelectors(html: string): Promise<string[]> {
  const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1]
  expect(href).toBeDefined()
  const css = (await browser.get(href!)).body
  return [...css.matchAll(/([^{}]+)\{[^}]*white-space:\s*pre-(?:line|wrap)[^}]*\}/g)].flatMap((m) =>
    m[1]!
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split(',')
      .map((s) => s.trim()),
  )
}

/** The element holding `ESCAPED` as its whole content: its tag and class. */
function holder(html: string): { tag: string; cls: string | undefined } | undefined {
  const i = html.indexOf(`>${ESCAPED}<`)
  if (i < 0) return undefined
  const open = html.lastIndexOf('<', i)
  const tag = /^<(\w+)/.exec(html.slice(open))?.[1] ?? ''
  const cls = /class="([^"]+)"/.exec(html.slice(open, i + 1))?.[1]
  return { tag, cls }
}

async function expectKept(url: string) {
  const page = await browser.get(url)
  expect(page.statusCode).toBe(200)
  expect(page.body).not.toContain('<b>&')
  const el = holder(page.body)
  expect(el, url).toBeDefined()
  const selectors = await keepingSelectors(page.body)
  expect(
    selectors.some((s) => s === `.${el!.cls}` || s === `${el!.tag}.${el!.cls}`),
    url,
  ).toBe(true)
}

describe('line breaks in what people wrote', () => {
  it('a post, on the feed and on its page', async () => {
    const post = await makePost(app, a, { body: TEXT })
    await expectKept('/feed')
    await expectKept(`/posts/${post.id}`)
  })

  it('a comment', async () => {
    const post = await makePost(app, a, { body: 'Comment on this' })
    await makeComment(app, b, post.id, TEXT)
    await expectKept(`/posts/${post.id}`)
  })

  it('a message', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/conversations/${a.id}/messages`,
      headers: b.auth,
      payload: { body: TEXT },
    })
    expect(res.statusCode).toBe(201)
    await expectKept(`/messages/${b.username}`)
  })

  it("an event's description", async () => {
    const event = await makeEvent(app, a, { description: TEXT })
    const page = await browser.get(`/events/${event.id}`)
    expect(page.body).toContain(`<div class="description"><p>${ESCAPED}</p>`)
    expect(await keepingSelectors(page.body)).toContain('.description > p')
  })
})
