// Avatar upload (multipart, in this scope only) and the public route that serves the stored images.
import multipart from '@fastify/multipart'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { AppError, invalid, notFound } from '../../lib/errors.js'
import { ProblemRef } from '../../lib/schemas.js'
import { actorOf } from '../../plugins/auth.js'
import { UserOwn } from '../users/users.schemas.js'
import { readAvatarFile } from './avatar-files.js'
import { AVATAR_MAX_BYTES, setAvatar } from './avatars.service.js'

export const avatarRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Registered here, not globally, so every other route keeps answering 415 to multipart bodies.
  await app.register(multipart, {
    limits: { fileSize: AVATAR_MAX_BYTES, files: 1, fields: 10, parts: 11, fieldSize: 1024 },
  })

  app.put(
    '/users/me/avatar',
    {
      schema: {
        summary: 'Upload your avatar',
        description:
          'multipart/form-data with one file part (any field name): a JPEG, PNG or WebP image, judged by its ' +
          'bytes, at most 5 MB (413) and 40 megapixels (413). Anything else is 415. It is stored as a ' +
          '256×256 WebP under a new name; the previous avatar is removed.',
        tags: ['users'],
        consumes: ['multipart/form-data'],
        response: { 200: UserOwn, 400: ProblemRef, 413: ProblemRef, 415: ProblemRef },
      },
      onRequest: app.authenticate,
    },
    async (req) => {
      if (!req.isMultipart()) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the image as multipart/form-data')
      }
      const file = await req.file()
      if (!file) throw invalid('body.file', 'an image file is required')
      // 413 (FST_REQ_FILE_TOO_LARGE) past the size limit. toBuffer() checks it after each chunk it reads, so a limit
      // reached by a chunk of which nothing is kept (the chunks before it ending exactly at 5 MB) slips past that
      // check, and the file's first 5 MB would be taken as if whole: the parser's `truncated` says so. (The
      // settings page reads its form through the parser's parts, which end with the limit's error.)
      const upload = await file.toBuffer()
      if (file.file.truncated) throw new app.multipartErrors.RequestFileTooLargeError()
      return setAvatar(app.ctx, actorOf(req), upload)
    },
  )
}

export const mediaRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/media/avatars/:file',
    {
      schema: {
        summary: 'An avatar image',
        description: 'Names are never reused, so the image is cacheable forever.',
        tags: ['users'],
        params: Type.Object({ file: Type.String({ maxLength: 100 }) }),
        produces: ['image/webp'],
        response: {
          // A Buffer is sent as is; the schema only documents the answer.
          200: Type.String({ format: 'binary', description: 'A 256×256 WebP image' }),
          404: ProblemRef,
        },
      },
    },
    async (req, reply) => {
      const image = await readAvatarFile(app.config, req.params.file)
      if (!image) throw notFound('Avatar')
      return reply
        .type('image/webp')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('cross-origin-resource-policy', 'cross-origin')
        .send(image)
    },
  )
}
