// User representations: the public profile everyone may see, and the own profile with private fields.
import type { AnyColumn } from 'drizzle-orm'
import { type Static, Type } from 'typebox'
import type { Config } from '../../config.js'
import type { User } from '../../db/schema/index.js'
import { Id, Line, NOT_BLANK, PageQuery, SortQuery, Timestamp } from '../../lib/schemas.js'

export const USERNAME_PATTERN = '^[A-Za-z0-9_.]{3,30}$'
export const Username = Type.String({
  pattern: USERNAME_PATTERN,
  description: '3–30 of letters, digits, _ and .',
})
export const Email = Type.String({ format: 'email', maxLength: 254 })
export const Password = Type.String({ minLength: 8, maxLength: 128 })
export const DisplayName = Line({ minLength: 1, maxLength: 100, pattern: NOT_BLANK })
export const Bio = Type.String({ maxLength: 1000 })

export const UserPublic = Type.Object(
  {
    id: Id,
    username: Type.String(),
    display_name: Type.String(),
    bio: Type.String(),
    avatar_url: Type.Union([Type.String(), Type.Null()]),
    created_at: Timestamp,
  },
  { $id: 'UserPublic' },
)

export const UserOwn = Type.Object(
  {
    ...UserPublic.properties,
    email: Type.String(),
    email_verified: Type.Boolean(),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  },
  { $id: 'UserOwn' },
)

export type UserPublicT = Static<typeof UserPublic>
export type UserOwnT = Static<typeof UserOwn>

/** The columns a public profile is shown from. */
export type ProfileRow = Pick<User, 'id' | 'username' | 'displayName' | 'bio' | 'avatarPath' | 'createdAt'>

/** The columns an author is shown from (a post's or a comment's): a profile without its bio and date. */
export type AuthorRow = Pick<ProfileRow, 'id' | 'username' | 'displayName' | 'avatarPath'>

type Columns<K extends string> = Record<K, AnyColumn>

/** What to select for an author from `u`: the users table or an alias of it. */
export const authorColumns = <U extends Columns<keyof AuthorRow>>(u: U): Pick<U, keyof AuthorRow> => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  avatarPath: u.avatarPath,
})

/**
 * What to select for a public profile from `u`, the users table or an alias of it: only these columns, so a read
 * that shows people never carries their e-mail or password hash.
 */
export const profileColumns = <U extends Columns<keyof ProfileRow>>(u: U): Pick<U, keyof ProfileRow> => ({
  ...authorColumns(u),
  bio: u.bio,
  createdAt: u.createdAt,
})

/** What an avatar's URL is made of: this, then the avatar's path (SQL that shows people builds it the same way). */
export const avatarUrlPrefix = (config: Config): string => `${config.PUBLIC_URL}/media/avatars/`

/**
 * SQL for a user `u`'s `avatar_url` as JSON text, as `avatarUrl` gives it: the prefix (`prefix`, an SQL text
 * expression: a statement's parameter) and the path, or `null` without a path (an empty one included).
 */
export const avatarUrlJsonSql = (prefix: string, u: string): string =>
  `coalesce(to_json(${prefix} || nullif(${u}.avatar_path, ''))::text, 'null')`

export function avatarUrl(config: Config, path: string | null): string | null {
  return path ? `${avatarUrlPrefix(config)}${path}` : null
}

export function toPublicUser(config: Config, u: ProfileRow): UserPublicT {
  return {
    id: u.id,
    username: u.username,
    display_name: u.displayName,
    bio: u.bio,
    avatar_url: avatarUrl(config, u.avatarPath),
    created_at: u.createdAt.toISOString(),
  }
}

export function toOwnUser(config: Config, u: User): UserOwnT {
  return {
    ...toPublicUser(config, u),
    email: u.email,
    email_verified: u.emailVerifiedAt !== null,
    role: u.role,
  }
}

export const UserListQuery = Type.Object({
  q: Type.Optional(Line({ minLength: 1, maxLength: 100 })),
  ...PageQuery,
  sort: SortQuery(['username', 'created_at']),
})

export const UpdateMeBody = Type.Object({
  display_name: Type.Optional(DisplayName),
  bio: Type.Optional(Bio),
  username: Type.Optional(Username),
  email: Type.Optional(Email),
})

export const ChangePasswordBody = Type.Object({
  current_password: Type.String({ maxLength: 128 }),
  new_password: Password,
})

export const AdminUpdateUserBody = Type.Object({
  role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
})
