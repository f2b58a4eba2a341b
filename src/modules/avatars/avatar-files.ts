// Where avatar images live on disk: DATA_DIR/media/avatars/<server-generated name>.webp.
import { randomUUID } from 'node:crypto'
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Config } from '../../config.js'

/** Names the server generates; anything else is never read from disk. */
export const AVATAR_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.webp$/

export const avatarDir = (config: Config) => join(config.DATA_DIR, 'media', 'avatars')

/** Writes a new avatar under a fresh name (never reused, so it can be cached forever) and returns the name. */
export async function writeAvatarFile(config: Config, image: Buffer): Promise<string> {
  const dir = avatarDir(config)
  await mkdir(dir, { recursive: true })
  const name = `${randomUUID()}.webp`
  await writeFile(join(dir, name), image, { flag: 'wx' })
  return name
}

export async function readAvatarFile(config: Config, name: string): Promise<Buffer | undefined> {
  if (!AVATAR_FILE.test(name)) return undefined
  try {
    return await readFile(join(avatarDir(config), name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** Removes an avatar file; a file already gone is fine (deleting twice must not fail the request). */
export async function removeAvatarFile(config: Config, name: string | null | undefined): Promise<void> {
  if (!name || !AVATAR_FILE.test(name)) return
  try {
    await unlink(join(avatarDir(config), name))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
