// Demo data for a newcomer: people who are friends, events with the usual sections, posts about them.
import { eq, sql } from 'drizzle-orm'
import type { Ctx } from './context.js'
import { friendships, users } from './db/schema/index.js'
import { register } from './modules/auth/auth.service.js'
import { setRole } from './modules/users/users.service.js'

export const DEMO_PASSWORD = 'stagedoor-demo-2026'

const PEOPLE = [
  ['alice', 'Alice Archer'],
  ['bob', 'Bob Baker'],
  ['carol', 'Carol Chen'],
  ['tommy', 'Tommy Tran'],
  ['amy', 'Amy Adams'],
  ['sammy', 'Sammy Singh'],
] as const

const FRIENDS = [
  ['alice', 'bob'],
  ['alice', 'carol'],
  ['bob', 'carol'],
  ['tommy', 'amy'],
  ['alice', 'tommy'],
] as const

export async function seed(ctx: Ctx): Promise<void> {
  const [existing] = await ctx.db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.username})`, 'alice'))
  if (existing) {
    console.log('demo data is already there (user alice exists); nothing to do')
    return
  }
  const ids = new Map<string, number>()
  for (const [username, displayName] of PEOPLE) {
    const { user } = await register(ctx, {
      email: `${username}@example.com`,
      username,
      password: DEMO_PASSWORD,
      display_name: displayName,
    })
    ids.set(username, user.id)
  }
  await setRole(ctx, ids.get('alice')!, 'admin')
  await ctx.db.insert(friendships).values(
    FRIENDS.map(([a, b]) => ({
      requesterId: ids.get(a)!,
      addresseeId: ids.get(b)!,
      status: 'accepted' as const,
      respondedAt: new Date(),
    })),
  )
  console.log(
    `seeded ${PEOPLE.length} users (password "${DEMO_PASSWORD}"; alice is an admin), ${FRIENDS.length} friendships`,
  )
}
