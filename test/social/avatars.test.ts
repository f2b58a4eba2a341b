import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { multipart } from '../factories/social.js'
import { type App, buildTestApp, login, registerUser, type TestUser } from '../helpers.js'

/** A valid black-and-white PNG of `width` × `height`, all zeros, built by hand: small, however many pixels. */
function blankPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const head = Buffer.alloc(4)
    head.writeUInt32BE(data.length)
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(body))
    return Buffer.concat([head, body, crc])
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 1 // one bit per pixel, greyscale
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height)
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

let app: App
beforeAll(async () => {
  app = await buildTestApp()
})
afterAll(() => app.close())

const image = (format: 'png' | 'jpeg' | 'webp' | 'gif', width = 600, height = 400) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 30, b: 90 } } })
    .toFormat(format)
    .toBuffer()

function upload(who: TestUser, data: Buffer | string, filename = 'me.png', contentType = 'image/png') {
  const form = multipart([{ name: 'file', data, filename, contentType }])
  return app.inject({
    method: 'PUT',
    url: '/api/v1/users/me/avatar',
    headers: { ...who.auth, ...form.headers },
    payload: form.payload,
  })
}

const fileOf = (url: string) => join(app.config.DATA_DIR, 'media', 'avatars', url.split('/').pop()!)
const AVATAR_URL = /^http:\/\/stagedoor\.test\/media\/avatars\/[0-9a-f-]{36}\.webp$/

describe('PUT /users/me/avatar', () => {
  it('when a PNG is uploaded, then 200 with the own profile and a 256×256 webp served with long caching', async () => {
    const me = await registerUser(app)
    const res = await upload(me, await image('png'))
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({
      id: me.id,
      email: me.email,
      role: 'user',
      avatar_url: expect.stringMatching(AVATAR_URL),
    })
    const served = await app.inject({ method: 'GET', url: new URL(res.json().avatar_url).pathname })
    expect(served.statusCode).toBe(200)
    expect(served.headers['content-type']).toBe('image/webp')
    expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    const meta = await sharp(served.rawPayload).metadata()
    expect(meta).toMatchObject({ format: 'webp', width: 256, height: 256 })
    const profile = await app.inject({ method: 'GET', url: `/api/v1/users/${me.id}`, headers: me.auth })
    expect(profile.json().avatar_url).toBe(res.json().avatar_url)
  })

  it('when JPEG and WebP are uploaded (whatever the file is called), then both are accepted', async () => {
    const me = await registerUser(app)
    for (const format of ['jpeg', 'webp'] as const) {
      const res = await upload(me, await image(format), 'photo.bin', 'application/octet-stream')
      expect(res.statusCode, format).toBe(200)
    }
  })

  it('when the avatar is replaced, then the old file is removed and its URL answers 404', async () => {
    const me = await registerUser(app)
    const first = (await upload(me, await image('png'))).json().avatar_url
    const second = (await upload(me, await image('jpeg'), 'b.jpg', 'image/jpeg')).json().avatar_url
    expect(second).not.toBe(first)
    expect(existsSync(fileOf(first))).toBe(false)
    expect(existsSync(fileOf(second))).toBe(true)
    expect((await app.inject({ method: 'GET', url: new URL(first).pathname })).statusCode).toBe(404)
  })

  it('when a .png file holds HTML, then 415 and nothing is stored', async () => {
    const me = await registerUser(app)
    const res = await upload(me, '<html><script>alert(1)</script></html>', 'cat.png', 'image/png')
    expect(res.statusCode).toBe(415)
    expect(res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' })
    const profile = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: me.auth })
    expect(profile.json().avatar_url).toBeNull()
  })

  it('when the image is a GIF, or a truncated PNG, then 415', async () => {
    const me = await registerUser(app)
    expect((await upload(me, await image('gif'), 'a.gif', 'image/gif')).statusCode).toBe(415)
    const png = await image('png')
    expect((await upload(me, png.subarray(0, 60))).statusCode).toBe(415)
  })

  it('when the file is over 5 MB, then 413', async () => {
    const me = await registerUser(app)
    const res = await upload(me, Buffer.alloc(5 * 1024 * 1024 + 1, 1))
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
  })

  it('when the 5 MB are reached exactly at the end of one chunk of the upload, then 413 too, and nothing is stored', async () => {
    // A real PNG with zeros after it, 5 MB and a little: what is cut at 5 MB still decodes as an image. The body
    // arrives in two chunks, the first ending exactly at the limit, as a network can deliver it: the limit is then
    // reached by a chunk of which nothing is kept, after the last check of the upload's own reader.
    const me = await registerUser(app)
    const png = await image('png', 8, 8)
    const data = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024 + 4096 - png.length)])
    const form = multipart([{ name: 'file', data, filename: 'me.png', contentType: 'image/png' }])
    const head = form.payload.indexOf(png)
    const cut = head + 5 * 1024 * 1024
    async function* body() {
      yield form.payload.subarray(0, cut)
      await new Promise((resolve) => setTimeout(resolve, 20))
      yield form.payload.subarray(cut)
    }
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/avatar',
      headers: { ...me.auth, ...form.headers },
      payload: Readable.from(body()),
    })
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    const profile = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: me.auth })
    expect(profile.json().avatar_url).toBeNull()
  })

  it('when the image has more than 40 megapixels, then 413 before it is decoded', async () => {
    const me = await registerUser(app)
    const huge = await sharp({ create: { width: 8000, height: 5001, channels: 3, background: '#000' } })
      .greyscale()
      .png({ compressionLevel: 9 })
      .toBuffer()
    expect(huge.length).toBeLessThan(5 * 1024 * 1024)
    const res = await upload(me, huge)
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
  })

  it('when a real PNG is past even the decoder library\'s own pixel limit, then 413 too, not "not a PNG"', async () => {
    const me = await registerUser(app)
    const huge = blankPng(20_000, 20_000)
    expect(huge.length).toBeLessThan(5 * 1024 * 1024)
    const res = await upload(me, huge)
    expect(res.statusCode).toBe(413)
    expect(res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    expect(res.json().detail).toContain('megapixels')
  })

  it('when the body is JSON instead of multipart, then 415; multipart without a file, 400', async () => {
    const me = await registerUser(app)
    const json = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/avatar',
      headers: me.auth,
      payload: { file: 'x' },
    })
    expect(json.statusCode).toBe(415)
    const form = multipart([{ name: 'note', data: 'no file here' }])
    const empty = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/avatar',
      headers: { ...me.auth, ...form.headers },
      payload: form.payload,
    })
    expect(empty.statusCode).toBe(400)
  })

  it('when the multipart body is cut short or has no boundary, then 400 and nothing is stored, never a 500', async () => {
    const me = await registerUser(app)
    const cut = multipart([
      { name: 'file', data: await image('png'), filename: 'me.png', contentType: 'image/png' },
    ])
    const bodies: [string, string | Buffer][] = [
      ['multipart/form-data; boundary=xyz', 'garbage'],
      ['multipart/form-data', 'garbage'],
      [
        'multipart/form-data; boundary=xyz',
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n\x89PNG',
      ],
      [cut.headers['content-type']!, cut.payload.subarray(0, cut.payload.length - 200)],
    ]
    for (const [type, payload] of bodies) {
      const res = await app.inject({
        method: 'PUT',
        url: '/api/v1/users/me/avatar',
        headers: { ...me.auth, 'content-type': type },
        payload,
      })
      expect(res.statusCode, type).toBe(400)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
      expect(res.json()).toMatchObject({
        code: 'BAD_REQUEST',
        detail: expect.stringMatching(/^The multipart body is malformed: /),
      })
    }
    const own = await app.inject({ url: '/api/v1/users/me', headers: me.auth })
    expect(own.json().avatar_url).toBeNull()
  })

  it('when not signed in, then 401', async () => {
    const form = multipart([{ name: 'file', data: await image('png'), filename: 'a.png' }])
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/users/me/avatar',
      headers: form.headers,
      payload: form.payload,
    })
    expect(res.statusCode).toBe(401)
  })

  it('when another route gets a multipart body, then it still answers 415', async () => {
    const me = await registerUser(app)
    const form = multipart([{ name: 'body', data: 'hello' }])
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: { ...me.auth, ...form.headers },
      payload: form.payload,
    })
    expect(res.statusCode).toBe(415)
  })

  it('when the account is deleted, then its avatar file is removed', async () => {
    const me = await registerUser(app)
    const url = (await upload(me, await image('png'))).json().avatar_url
    const fresh = await login(app, me)
    const res = await app.inject({ method: 'DELETE', url: '/api/v1/users/me', headers: fresh.auth })
    expect(res.statusCode).toBe(204)
    expect(existsSync(fileOf(url))).toBe(false)
  })
})

describe('GET /media/avatars/{file}', () => {
  it('when the file is unknown or the name is not one the server makes, then 404', async () => {
    for (const name of ['00000000-0000-0000-0000-000000000000.webp', '..%2F..%2Fjwt-secret', 'x.png']) {
      const res = await app.inject({ method: 'GET', url: `/media/avatars/${name}` })
      expect(res.statusCode, name).toBe(404)
    }
  })
})
