// Factories for the social tests: friendships, posts, comments, likes and multipart uploads.
import { randomBytes } from 'node:crypto'
import type { App, TestUser } from '../helpers.js'

/** Makes `a` and `b` friends through the API (a asks, b accepts). */
export async function makeFriends(app: App, a: TestUser, b: TestUser): Promise<void> {
  const sent = await app.inject({
    method: 'POST',
    url: '/api/v1/users/me/friend-requests',
    headers: a.auth,
    payload: { user_id: b.id },
  })
  if (sent.statusCode !== 201) throw new Error(`friend request failed: ${sent.statusCode} ${sent.body}`)
  const accepted = await app.inject({
    method: 'POST',
    url: `/api/v1/friend-requests/${sent.json().id}/accept`,
    headers: b.auth,
  })
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.statusCode} ${accepted.body}`)
}

/** Writes a post through the API and returns its JSON. */
export async function makePost(
  app: App,
  author: TestUser,
  overrides: Partial<{ body: string; event_id: number; shared_post_id: number }> = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/posts',
    headers: author.auth,
    payload: { body: overrides.body ?? `post ${randomBytes(4).toString('hex')}`, ...overrides },
  })
  if (res.statusCode !== 201) throw new Error(`post failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function makeComment(app: App, author: TestUser, postId: number, body = 'a comment') {
  const res = await app.inject({
    method: 'POST',
    url: `/api/v1/posts/${postId}/comments`,
    headers: author.auth,
    payload: { body },
  })
  if (res.statusCode !== 201) throw new Error(`comment failed: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function likePost(app: App, user: TestUser, postId: number) {
  const res = await app.inject({ method: 'PUT', url: `/api/v1/posts/${postId}/like`, headers: user.auth })
  if (res.statusCode !== 204) throw new Error(`like failed: ${res.statusCode} ${res.body}`)
}

export interface Part {
  name: string
  data: Buffer | string
  filename?: string
  contentType?: string
}

/** A multipart/form-data body for inject(): `{ payload, headers }`. */
export function multipart(parts: Part[]) {
  const boundary = `----stagedoor${randomBytes(8).toString('hex')}`
  const chunks: Buffer[] = []
  for (const p of parts) {
    const filename = p.filename ? `; filename="${p.filename}"` : ''
    const type = p.contentType ? `Content-Type: ${p.contentType}\r\n` : ''
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${filename}\r\n${type}\r\n`,
      ),
      Buffer.from(p.data),
      Buffer.from('\r\n'),
    )
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  }
}
