// Avatar uploads: the bytes decide the format, sharp re-encodes to a 256×256 webp (dropping metadata).
import { eq } from 'drizzle-orm'
import type { Metadata } from 'sharp'
import type { Actor, Ctx } from '../../context.js'
import { users } from '../../db/schema/index.js'
import { AppError, notFound } from '../../lib/errors.js'
import { toOwnUser, type UserOwnT } from '../users/users.schemas.js'
import { removeAvatarFile, writeAvatarFile } from './avatar-files.js'

export const AVATAR_MAX_BYTES = 5 * 1024 * 1024
export const AVATAR_MAX_PIXELS = 40_000_000
export const AVATAR_SIZE = 256
const FORMATS = new Set(['jpeg', 'png', 'webp'])

const unsupported = () => new AppError('UNSUPPORTED_MEDIA_TYPE', 'The file is not a JPEG, PNG or WebP image')

/** Checks the real format from the bytes and the pixel count from the header, then decodes and re-encodes. */
export async function toAvatarImage(input: Buffer): Promise<Buffer> {
  // Loaded on the first upload: libvips is ~18 MiB in every server process that never sees one.
  const { default: sharp } = await import('sharp')
  let meta: Metadata
  try {
    // The header only, so no pixel limit here: ours is checked below, and answered as such (413), where
    // sharp's own default would refuse a huge image as if it were no image at all.
    meta = await sharp(input, { limitInputPixels: false }).metadata()
  } catch {
    throw unsupported()
  }
  if (!FORMATS.has(meta.format) || !meta.width || !meta.height) throw unsupported()
  if (meta.width * meta.height > AVATAR_MAX_PIXELS) {
    throw new AppError('PAYLOAD_TOO_LARGE', `The image has more than ${AVATAR_MAX_PIXELS / 1e6} megapixels`)
  }
  try {
    return await sharp(input, { limitInputPixels: AVATAR_MAX_PIXELS })
      .rotate()
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover' })
      .webp({ quality: 82 })
      .toBuffer()
  } catch {
    // A header that parses over a body that does not decode (truncated or corrupt image).
    throw unsupported()
  }
}

/** Stores a new avatar and removes the one it replaces. Returns the own profile. */
export async function setAvatar(ctx: Ctx, actor: Actor, upload: Buffer): Promise<UserOwnT> {
  const image = await toAvatarImage(upload)
  const name = await writeAvatarFile(ctx.config, image)
  let result: { user: typeof users.$inferSelect; previous: string | null }
  try {
    result = await ctx.db.transaction(async (tx) => {
      // Locked so that two uploads at once each remove exactly the file they replaced.
      const [current] = await tx
        .select({ avatarPath: users.avatarPath })
        .from(users)
        .where(eq(users.id, actor.id))
        .for('update')
      if (!current) throw notFound('User')
      const [user] = await tx
        .update(users)
        .set({ avatarPath: name, updatedAt: new Date() })
        .where(eq(users.id, actor.id))
        .returning()
      return { user: user!, previous: current.avatarPath }
    })
  } catch (err) {
    await removeAvatarFile(ctx.config, name)
    throw err
  }
  await removeAvatarFile(ctx.config, result.previous).catch((err: unknown) =>
    ctx.log.warn({ err }, 'could not remove a replaced avatar file'),
  )
  return toOwnUser(ctx.config, result.user)
}
