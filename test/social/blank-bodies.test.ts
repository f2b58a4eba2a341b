// Posts, comments and messages of spaces (or line breaks) only are refused: 400 VALIDATION_FAILED on the API,
// 'Fill this in' beside the field on the pages, and nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeComment, makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, problem, registerUser } from '../helpers.js'
import { browserFor } from '../web/browser.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const BLANKS = ['   ', ' \n\t \r\n ']

describe('POST /posts and PATCH /posts/{id}', () => {
  it('when the body is only spaces or line breaks, then 400 VALIDATION_FAILED and no post', async () => {
    const a = await registerUser(app)
    for (const body of BLANKS) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/posts',
        headers: a.auth,
        payload: { body },
      })
      expect(res.statusCode).toBe(400)
      expect(problem(res).code).toBe('VALIDATION_FAILED')
    }
    const list = await app.inject({ method: 'GET', url: `/api/v1/posts?author_id=${a.id}`, headers: a.auth })
    expect(list.json().total).toBe(0)
  })

  it('when a patch blanks the body, then 400 and the body is kept', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a, { body: 'Keep me' })
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/posts/${post.id}`,
      headers: a.auth,
      payload: { body: '  ' },
    })
    expect(res.statusCode).toBe(400)
    expect(problem(res).code).toBe('VALIDATION_FAILED')
    const got = await app.inject({ method: 'GET', url: `/api/v1/posts/${post.id}`, headers: a.auth })
    expect(got.json().body).toBe('Keep me')
  })

  it('a body with words around spaces and line breaks is still fine', async () => {
    const a = await registerUser(app)
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: a.auth,
      payload: { body: '  hi \n there ' },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json().body).toBe('  hi \n there ')
  })
})

describe('POST /posts/{id}/comments and PATCH /comments/{id}', () => {
  it('when the body is only spaces, then 400 VALIDATION_FAILED and no comment', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a)
    for (const body of BLANKS) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/posts/${post.id}/comments`,
        headers: a.auth,
        payload: { body },
      })
      expect(res.statusCode).toBe(400)
      expect(problem(res).code).toBe('VALIDATION_FAILED')
    }
    const got = await app.inject({ method: 'GET', url: `/api/v1/posts/${post.id}`, headers: a.auth })
    expect(got.json().comment_count).toBe(0)
  })

  it('when a patch blanks a comment, then 400 and the comment is kept', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a)
    const comment = await makeComment(app, a, post.id, 'Keep me')
    const res = await app.inject({
      method: 'PATCH',
      url: `/api/v1/comments/${comment.id}`,
      headers: a.auth,
      payload: { body: '\n  \n' },
    })
    expect(res.statusCode).toBe(400)
    expect(problem(res).code).toBe('VALIDATION_FAILED')
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/posts/${post.id}/comments`,
      headers: a.auth,
    })
    expect(list.json().data.map((c: { body: string }) => c.body)).toEqual(['Keep me'])
  })
})

describe('POST /conversations/{user_id}/messages', () => {
  it('when the body is only spaces, then 400 VALIDATION_FAILED and no message', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    await makeFriends(app, a, b)
    for (const body of BLANKS) {
      const res = await app.inject({
        method: 'POST',
        url: `/api/v1/conversations/${b.id}/messages`,
        headers: a.auth,
        payload: { body },
      })
      expect(res.statusCode).toBe(400)
      expect(problem(res).code).toBe('VALIDATION_FAILED')
    }
    const list = await app.inject({
      method: 'GET',
      url: `/api/v1/conversations/${b.id}/messages`,
      headers: a.auth,
    })
    expect(list.json().data).toEqual([])
  })
})

describe('the pages', () => {
  const fieldError = (html: string) => /<small[^>]*class="field-error"[^>]*>([^<]*)</.exec(html)?.[1]

  it('a post of spaces on /feed is refused beside the field (422) and not posted', async () => {
    const a = await registerUser(app)
    const browser = await browserFor(app, a)
    await browser.get('/feed')
    const res = await browser.post('/feed', { body: '   ' })
    expect(res.statusCode).toBe(422)
    expect(fieldError(res.body)).toBe('Fill this in')
    const list = await app.inject({ method: 'GET', url: `/api/v1/posts?author_id=${a.id}`, headers: a.auth })
    expect(list.json().total).toBe(0)
  })

  it('a comment of spaces on /posts/{id} is refused beside the field and no empty comment is shown', async () => {
    const a = await registerUser(app)
    const post = await makePost(app, a)
    const browser = await browserFor(app, a)
    await browser.get(`/posts/${post.id}`)
    const res = await browser.post(`/posts/${post.id}/comments`, { body: ' \r\n ' })
    expect(res.statusCode).toBe(422)
    expect(fieldError(res.body)).toBe('Fill this in')
    expect(res.body).toContain('No comments yet.')
  })

  it('a message of spaces on /messages/{username} is refused beside the field', async () => {
    const [a, b] = [await registerUser(app), await registerUser(app)]
    await makeFriends(app, a, b)
    const browser = await browserFor(app, a)
    await browser.get(`/messages/${b.username}`)
    const res = await browser.post(`/messages/${b.username}`, { body: '    ' })
    expect(res.statusCode).toBe(422)
    expect(fieldError(res.body)).toBe('Fill this in')
    expect(res.body).toContain('No messages yet.')
  })
})
