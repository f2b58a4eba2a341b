// Editing and deleting posts and comments from the pages: who may, the question asked before a delete, a refused
// edit with the text kept, and what the API then answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { likePost, makeComment, makePost } from '../../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../../helpers.js'
import { browserFor } from '../browser.js'

let app: App
let author: TestUser
let commenter: TestUser
let stranger: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  author = await registerUser(app)
  commenter = await registerUser(app, { display_name: 'Carla Commenter' })
  stranger = await registerUser(app)
})
afterAll(() => app.close())

const apiGet = (url: string, who: TestUser) => app.inject({ url: `/api/v1${url}`, headers: who.auth })

describe('a post from its pages', () => {
  it('its author edits it; a blank text is refused beside the field with nothing saved', async () => {
    const post = await makePost(app, author, { body: 'First words' })
    const browser = await browserFor(app, author)
    const page = await browser.get(`/posts/${post.id}`)
    expect(page.body).toContain(`href="/posts/${post.id}/edit"`)
    const form = await browser.get(`/posts/${post.id}/edit`)
    expect(form.statusCode).toBe(200)
    expect(form.body).toContain('First words</textarea>')

    const blank = await browser.post(`/posts/${post.id}/edit`, { body: '   ' })
    expect(blank.statusCode).toBe(422)
    expect(blank.body).toContain('id="f-body-error"')
    expect((await apiGet(`/posts/${post.id}`, author)).json().body).toBe('First words')

    const saved = await browser.post(`/posts/${post.id}/edit`, { body: 'Better <b>words</b>' })
    expect(saved.statusCode).toBe(303)
    expect(saved.headers.location).toBe(`/posts/${post.id}`)
    const after = await browser.get(`/posts/${post.id}`)
    expect(after.body).toContain('Post saved.')
    expect(after.body).toContain('Better &lt;b>words&lt;/b>')
    expect((await apiGet(`/posts/${post.id}`, author)).json().body).toBe('Better <b>words</b>')
  })

  it('asks before deleting, says what goes with it, and deletes on the answer', async () => {
    const post = await makePost(app, author, { body: 'Going soon' })
    await makeComment(app, commenter, post.id)
    await likePost(app, commenter, post.id)
    const browser = await browserFor(app, author)
    // The card leads to the question; nothing is deleted by opening it.
    expect((await browser.get('/feed')).body).toContain(`href="/posts/${post.id}/delete"`)
    const question = await browser.get(`/posts/${post.id}/delete`)
    expect(question.statusCode).toBe(200)
    expect(question.body).toContain('Delete this post?')
    expect(question.body).toContain('Its 1 comment and 1 like go with it.')
    expect(question.body).toContain('Going soon')
    expect((await apiGet(`/posts/${post.id}`, author)).statusCode).toBe(200)

    const done = await browser.post(`/posts/${post.id}/delete`)
    expect(done.statusCode).toBe(303)
    expect(done.headers.location).toBe('/feed')
    expect((await browser.get('/feed')).body).toContain('Post deleted.')
    expect((await apiGet(`/posts/${post.id}`, author)).statusCode).toBe(404)
    // A post alone says only that; one shared says its shares stay.
    const lone = await makePost(app, author, { body: 'Alone' })
    const alone = await browser.get(`/posts/${lone.id}/delete`)
    expect(alone.body).toContain('<p>It cannot be undone.</p>')
    await makePost(app, commenter, { shared_post_id: lone.id, body: 'Look' })
    await makeComment(app, commenter, lone.id)
    expect((await browser.get(`/posts/${lone.id}/delete`)).body).toContain(
      'Its 1 comment goes with it. The share of it stays, without it. It cannot be undone.',
    )
  })

  it('another member may neither edit nor delete it, and sees no link to', async () => {
    const post = await makePost(app, author, { body: 'Mine alone' })
    const other = await browserFor(app, stranger)
    const page = await other.get(`/posts/${post.id}`)
    expect(page.body).not.toContain(`/posts/${post.id}/edit`)
    expect(page.body).not.toContain(`/posts/${post.id}/delete`)
    for (const url of [`/posts/${post.id}/edit`, `/posts/${post.id}/delete`]) {
      const refused = await other.get(url)
      expect(refused.statusCode, url).toBe(403)
      // A page opened, not a form sent: no word of a form that may have expired.
      expect(refused.body).toContain('This page is not open to you.')
      expect(refused.body).toContain('Only the author may change this post')
      expect(refused.body).not.toContain('filling in a form')
    }
    expect((await other.post(`/posts/${post.id}/edit`, { body: 'Taken over' })).statusCode).toBe(403)
    expect((await other.post(`/posts/${post.id}/delete`)).statusCode).toBe(403)
    expect((await apiGet(`/posts/${post.id}`, author)).json().body).toBe('Mine alone')
    // An admin may do both, as through the API.
    const admin = await browserFor(app, await registerAdmin(app))
    expect((await admin.get(`/posts/${post.id}/edit`)).statusCode).toBe(200)
  })
})

describe('a comment from its post’s page', () => {
  it('its author edits it; the post’s author and its author may delete it; others neither', async () => {
    const post = await makePost(app, author)
    const comment = await makeComment(app, commenter, post.id, 'Nice one')
    const byCommenter = await browserFor(app, commenter)
    const byAuthor = await browserFor(app, author)
    const byStranger = await browserFor(app, stranger)

    const seen = (await byCommenter.get(`/posts/${post.id}`)).body
    expect(seen).toContain(`id="comment-${comment.id}"`)
    expect(seen).toContain(`href="/comments/${comment.id}/edit"`)
    expect(seen).toContain(`href="/comments/${comment.id}/delete"`)
    // The post's author may delete it, not edit it; a stranger neither.
    const authors = (await byAuthor.get(`/posts/${post.id}`)).body
    expect(authors).not.toContain(`/comments/${comment.id}/edit`)
    expect(authors).toContain(`href="/comments/${comment.id}/delete"`)
    const strangers = (await byStranger.get(`/posts/${post.id}`)).body
    expect(strangers).not.toContain(`/comments/${comment.id}/`)
    expect((await byAuthor.get(`/comments/${comment.id}/edit`)).statusCode).toBe(403)
    expect((await byStranger.get(`/comments/${comment.id}/delete`)).statusCode).toBe(403)
    expect((await byStranger.post(`/comments/${comment.id}/delete`)).statusCode).toBe(403)

    const blank = await byCommenter.post(`/comments/${comment.id}/edit`, { body: '' })
    expect(blank.statusCode).toBe(422)
    expect(blank.body).toContain('id="f-body-error"')
    const saved = await byCommenter.post(`/comments/${comment.id}/edit`, { body: 'Nicer one' })
    expect(saved.headers.location).toBe(`/posts/${post.id}#comment-${comment.id}`)
    const comments = async () => (await apiGet(`/posts/${post.id}/comments`, author)).json().data
    expect((await comments())[0].body).toBe('Nicer one')

    const question = await byAuthor.get(`/comments/${comment.id}/delete`)
    expect(question.statusCode).toBe(200)
    expect(question.body).toContain('Delete this comment?')
    expect(question.body).toContain('Nicer one')
    expect(question.body).toContain('Carla Commenter')
    expect(await comments()).toHaveLength(1)
    const done = await byAuthor.post(`/comments/${comment.id}/delete`)
    expect(done.headers.location).toBe(`/posts/${post.id}#comments`)
    expect((await byAuthor.get(`/posts/${post.id}`)).body).toContain('Comment deleted.')
    expect(await comments()).toHaveLength(0)
    // Gone: its pages are 404s.
    expect((await byCommenter.get(`/comments/${comment.id}/edit`)).statusCode).toBe(404)
  })
})
