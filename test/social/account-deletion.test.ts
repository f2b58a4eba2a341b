import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { likePost, makeComment, makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, login, registerAdmin, registerUser, type TestUser } from '../helpers.js'

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const get = (who: TestUser, url: string) =>
  app.inject({ method: 'GET', url: `/api/v1${url}`, headers: who.auth })

/** A user with a footprint everywhere: posts with likes and comments, likes, comments and shares of
 * someone else's post, a friendship and messages. */
async function busyUser(other: TestUser) {
  const doomed = await registerUser(app)
  await makeFriends(app, doomed, other)
  const othersPost = await makePost(app, other)
  await likePost(app, doomed, othersPost.id)
  await makeComment(app, doomed, othersPost.id)
  await makePost(app, doomed, { shared_post_id: othersPost.id })
  const ownPost = await makePost(app, doomed)
  await likePost(app, other, ownPost.id)
  await makeComment(app, other, ownPost.id)
  await app.inject({
    method: 'POST',
    url: `/api/v1/conversations/${other.id}/messages`,
    headers: doomed.auth,
    payload: { body: 'bye' },
  })
  expect((await get(other, `/posts/${othersPost.id}`)).json()).toMatchObject({
    like_count: 1,
    comment_count: 1,
    share_count: 1,
  })
  return { doomed, othersPost, ownPost }
}

async function expectGone(other: TestUser, s: Awaited<ReturnType<typeof busyUser>>) {
  expect((await get(other, `/posts/${s.othersPost.id}`)).json()).toMatchObject({
    like_count: 0,
    comment_count: 0,
    share_count: 0,
  })
  expect((await get(other, `/posts/${s.othersPost.id}/comments`)).json().total).toBe(0)
  expect((await get(other, `/posts/${s.ownPost.id}`)).statusCode).toBe(404)
  expect((await get(other, `/posts?author_id=${s.doomed.id}`)).json().total).toBe(0)
  expect((await get(other, '/users/me/friends')).json().data).toEqual([])
  expect((await get(other, '/conversations')).json().data).toEqual([])
}

describe('DELETE /users/me (social content)', () => {
  it('when a user deletes their account, then their posts, comments, likes, shares, messages and friendships go, and the counters follow', async () => {
    const other = await registerUser(app)
    const s = await busyUser(other)
    const fresh = await login(app, s.doomed)
    expect(
      (await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: fresh.auth })).statusCode,
    ).toBe(204)
    await expectGone(other, s)
  })
})

describe('DELETE /admin/users/{id} (social content)', () => {
  it('when an admin deletes a user, then the same social content goes', async () => {
    const [other, admin] = [await registerUser(app), await registerAdmin(app)]
    const s = await busyUser(other)
    const res = await app.inject({
      method: 'DELETE',
      url: `/api/v1/admin/users/${s.doomed.id}`,
      headers: admin.auth,
    })
    expect(res.statusCode).toBe(204)
    await expectGone(other, s)
  })
})
