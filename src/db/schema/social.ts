// The social side: friendships, private messages, posts with their comments and likes.
// Everything here belongs to a person and goes with them (ON DELETE CASCADE on purpose).
import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core'
import { users } from './accounts.js'
import { events } from './events.js'

/** One row per pair of users, whichever asked first; pending until the addressee accepts or declines. */
export const friendships = pgTable(
  'friendships',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    requesterId: integer('requester_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    addresseeId: integer('addressee_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['pending', 'accepted', 'declined'] })
      .notNull()
      .default('pending'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    respondedAt: timestamp('responded_at', { withTimezone: true }),
  },
  (t) => [
    // One row per unordered pair, enforced by the database.
    uniqueIndex('friendships_pair_key').on(
      sql`least(${t.requesterId}, ${t.addresseeId})`,
      sql`greatest(${t.requesterId}, ${t.addresseeId})`,
    ),
    index('friendships_requester_idx').on(t.requesterId, t.status),
    index('friendships_addressee_idx').on(t.addresseeId, t.status),
    check('friendships_not_self', sql`${t.requesterId} <> ${t.addresseeId}`),
    check('friendships_status_check', sql`${t.status} in ('pending', 'accepted', 'declined')`),
  ],
)

/** Private messages between two users. `read_at` is set when the recipient marks the conversation read. */
export const messages = pgTable(
  'messages',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    senderId: integer('sender_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    recipientId: integer('recipient_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    readAt: timestamp('read_at', { withTimezone: true }),
  },
  (t) => [
    // A conversation newest first, whichever of the two sent each message.
    index('messages_pair_idx').on(
      sql`least(${t.senderId}, ${t.recipientId})`,
      sql`greatest(${t.senderId}, ${t.recipientId})`,
      t.id,
    ),
    index('messages_sender_idx').on(t.senderId, t.id),
    index('messages_recipient_idx').on(t.recipientId, t.id),
    index('messages_unread_idx').on(t.recipientId, t.senderId).where(sql`${t.readAt} is null`),
    check('messages_not_self', sql`${t.senderId} <> ${t.recipientId}`),
    check('messages_body_length', sql`char_length(${t.body}) between 1 and 5000`),
  ],
)

/**
 * Posts, optionally about an event and optionally sharing another post. The three counters are kept by
 * triggers (migration social_counters), so they stay exact when cascades delete likes, comments or shares.
 */
export const posts = pgTable(
  'posts',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    authorId: integer('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    // The post outlives the event it talked about.
    eventId: integer('event_id').references(() => events.id, { onDelete: 'set null' }),
    // A share outlives the post it shared; it then shows `shared_post: null`.
    sharedPostId: integer('shared_post_id').references((): AnyPgColumn => posts.id, { onDelete: 'set null' }),
    likeCount: integer('like_count').notNull().default(0),
    commentCount: integer('comment_count').notNull().default(0),
    shareCount: integer('share_count').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The feed walks each followed author's posts newest first; the author filter uses it too.
    index('posts_author_idx').on(t.authorId, t.id),
    index('posts_created_at_idx').on(t.createdAt, t.id),
    index('posts_like_count_idx').on(t.likeCount, t.id),
    index('posts_event_idx').on(t.eventId, t.id),
    index('posts_shared_post_idx').on(t.sharedPostId),
    index('posts_body_trgm_idx').using('gin', sql`lower(${t.body}) gin_trgm_ops`),
    check('posts_body_length', sql`char_length(${t.body}) between 1 and 5000`),
    check('posts_counts_check', sql`${t.likeCount} >= 0 and ${t.commentCount} >= 0 and ${t.shareCount} >= 0`),
  ],
)

export const comments = pgTable(
  'comments',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    authorId: integer('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('comments_post_idx').on(t.postId, t.id),
    index('comments_author_idx').on(t.authorId),
    check('comments_body_length', sql`char_length(${t.body}) between 1 and 5000`),
  ],
)

/** One like per user and post, enforced by the primary key. */
export const postLikes = pgTable(
  'post_likes',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.postId] }), index('post_likes_post_idx').on(t.postId)],
)

/**
 * How many posts exist, all together (`author_id` 0) and per author: the exact `total` of GET /posts without
 * a `count(*)` over the table. Kept by statement-level triggers on posts (migration post_counts), in the
 * same transaction as each insert and delete, cascades included. No foreign key: row 0 has no user, and a
 * deleted author's row is left at 0 by the cascade that deletes their posts.
 */
export const postCounts = pgTable('post_counts', {
  authorId: integer('author_id').primaryKey(),
  posts: integer('posts').notNull().default(0),
})
