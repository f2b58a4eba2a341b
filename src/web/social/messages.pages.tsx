// Private messages as pages. The conversation page works without JavaScript (send, then the page reloads);
// messages.js polls /messages/{username}/new for what arrived since the last one shown and appends it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { AppError } from '../../lib/errors.js'
import { relationWith } from '../../modules/friends/friends.service.js'
import type { MessageT } from '../../modules/messages/messages.schemas.js'
import { SendMessageBody } from '../../modules/messages/messages.schemas.js'
import {
  listConversations,
  listMessages,
  markConversationRead,
  messagesAfter,
  sendMessage,
} from '../../modules/messages/messages.service.js'
import type { UserPublicT } from '../../modules/users/users.schemas.js'
import { getUserByUsername } from '../../modules/users/users.service.js'
import { excerpt, when } from '../format.js'
import { CsrfField, Field, FormError, Layout } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  formErrorsOf,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import type { WebUser } from '../session.js'

const UsernameParams = Type.Object({ username: Type.String({ minLength: 1, maxLength: 50 }) })
/** `before`: the cursor of an older page (the API's `next_cursor`); without it, the latest messages. */
const ConversationQuery = Type.Object({
  before: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
})
/** Messages a page shows, and a poll appends at most at once (it asks again at once when more follow). */
const PER_PAGE = 50

export function MessageItem(p: { message: MessageT; me: number; partner: UserPublicT }): JSX.Element {
  const m = p.message
  const mine = m.sender_id === p.me
  return (
    <li class={mine ? 'mine' : undefined} data-id={String(m.id)}>
      <strong safe>{mine ? 'You' : p.partner.display_name}</strong>{' '}
      <small>
        <time datetime={m.created_at} safe>
          {when(m.created_at)}
        </time>
      </small>
      <br />
      <span class="user-text" dir="auto" safe>
        {m.body}
      </span>
    </li>
  )
}

function ConversationPage(p: {
  ctx: PageCtx
  partner: UserPublicT
  messages: MessageT[]
  /** The cursor of the page of older messages, when there are any. */
  older: string | null
  /** The latest messages (new ones are appended as they come), or an older page (`?before=`). */
  latest: boolean
  /** Whether you may write (you are friends): else the page says so instead of showing a form refused on send. */
  friends: boolean
  errors: FormErrors
  value?: string
}) {
  const me = p.ctx.user!.id
  const profile = `/users/${encodeURIComponent(p.partner.username)}`
  const last = p.messages.at(-1)?.id ?? 0
  const path = `/messages/${encodeURIComponent(p.partner.username)}`
  return (
    <Layout ctx={p.ctx} title={`Messages with ${p.partner.display_name}`} scripts={['messages.js']}>
      <h1 safe>{`Messages with ${p.partner.display_name}`}</h1>
      {p.older ? (
        <p>
          <a href={`${path}?before=${encodeURIComponent(p.older)}`}>Older messages</a>
        </p>
      ) : (
        ''
      )}
      {p.latest ? (
        <ol
          class="messages"
          id="messages"
          aria-live="polite"
          data-after={String(last)}
          data-poll={`${path}/new`}
        >
          {p.messages.map((m) => (
            <MessageItem message={m} me={me} partner={p.partner} />
          ))}
        </ol>
      ) : (
        <>
          <ol class="messages">
            {p.messages.map((m) => (
              <MessageItem message={m} me={me} partner={p.partner} />
            ))}
          </ol>
          <p>
            <a href={path}>Latest messages</a>
          </p>
        </>
      )}
      {/* "Say hello" only where a message can be sent: to a friend. */}
      {p.messages.length > 0 ? (
        ''
      ) : p.latest ? (
        <p id="no-messages">{p.friends ? 'No messages yet. Say hello!' : 'No messages yet.'}</p>
      ) : (
        <p>No older messages.</p>
      )}
      {p.friends ? (
        <form method="post" action={path} id="message-form" novalidate>
          <CsrfField token={p.ctx.csrf} />
          <FormError message={p.errors.form} />
          <Field
            name="body"
            label="Your message"
            type="textarea"
            value={p.value}
            error={p.errors.fields.body}
            maxlength={5000}
            required
          />
          <button type="submit">Send</button>
        </form>
      ) : (
        <>
          {/* A message sent as the friendship ended: the reason, and what was typed, to copy. Nothing is lost. */}
          <FormError message={p.errors.form} />
          {p.value ? (
            <label for="f-unsent">
              Your message, not sent
              <textarea id="f-unsent" readonly safe>
                {p.value}
              </textarea>
            </label>
          ) : (
            ''
          )}
          <p class="notice" id="not-friends">
            You can only message your friends.{' '}
            <a href={profile} safe>{`Send ${p.partner.display_name} a friend request from their profile`}</a>.
          </p>
        </>
      )}
      <p>
        <a href={path}>Reload</a> · <a href="/messages">All conversations</a>
      </p>
    </Layout>
  )
}

function InboxPage(p: {
  ctx: PageCtx
  conversations: Awaited<ReturnType<typeof listConversations>>['data']
}) {
  return (
    <Layout ctx={p.ctx} title="Messages">
      <h1>Messages</h1>
      {p.conversations.length === 0 ? (
        <p>
          No conversations yet. Message a friend from <a href="/friends">your friends</a>.
        </p>
      ) : (
        ''
      )}
      <ul>
        {p.conversations.map((c) => (
          <li>
            <a href={`/messages/${encodeURIComponent(c.user.username)}`} safe>
              {c.user.display_name}
            </a>
            {c.unread_count > 0 ? <strong safe>{` · ${c.unread_count} unread`}</strong> : ''}
            <br />
            <small safe>{`${excerpt(c.last_message.body, 80)} · ${when(c.last_message.created_at)}`}</small>
          </li>
        ))}
      </ul>
    </Layout>
  )
}

export async function messagePages(app: FastifyInstance) {
  const { ctx } = app

  async function conversation(
    req: FastifyRequest,
    reply: FastifyReply,
    user: WebUser,
    errors = NO_ERRORS,
    value?: string,
    status = errors === NO_ERRORS ? 200 : FORM_INVALID,
  ) {
    const partner = await getUserByUsername(ctx, (req.params as { username: string }).username)
    // There is no conversation with yourself: your own name is the list of your conversations.
    if (partner.id === user.id) return seeOther(reply, '/messages')
    const before = (req.query as { before?: string } | undefined)?.before
    const [page, relation] = await Promise.all([
      listMessages(ctx, user, partner.id, { limit: PER_PAGE, cursor: before }),
      relationWith(ctx, user, partner.id),
    ])
    await markConversationRead(ctx, user, partner.id)
    return sendHtml(
      req,
      reply,
      <ConversationPage
        ctx={pageCtx(req, reply)}
        partner={partner}
        messages={page.data.reverse()}
        older={page.next_cursor}
        latest={before === undefined}
        friends={relation.kind === 'friends'}
        errors={errors}
        value={value}
      />,
      status,
    )
  }

  app.get('/messages', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const page = await listConversations(ctx, user, { limit: 50 })
    return sendHtml(req, reply, <InboxPage ctx={pageCtx(req, reply)} conversations={page.data} />)
  })

  app.get(
    '/messages/:username',
    { schema: { hide: true, params: UsernameParams, querystring: ConversationQuery } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      return user ? conversation(req, reply, user) : reply
    },
  )

  app.post('/messages/:username', { schema: { hide: true, params: UsernameParams } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    const value = (req.body as Record<string, string>).body
    const form = parseForm<{ body: string }>(SendMessageBody, req.body)
    if (!form.ok) return conversation(req, reply, user, form.errors, value)
    const partner = await getUserByUsername(ctx, (req.params as { username: string }).username)
    try {
      await sendMessage(ctx, user, partner.id, form.value.body)
    } catch (err) {
      // A service's refusal keeps its status (403 NOT_FRIENDS: the friendship ended since the page was loaded).
      return conversation(req, reply, user, formErrorsOf(err), value, (err as AppError).status)
    }
    return seeOther(reply, `/messages/${encodeURIComponent(partner.username)}`)
  })

  // The messages after `after`, oldest first, as list items (204 when none): what the page's script appends. At
  // most PER_PAGE at once, none skipped: `X-More-Messages: true` says more follow, and the script asks again.
  app.get(
    '/messages/:username/new',
    {
      schema: {
        hide: true,
        params: UsernameParams,
        querystring: Type.Object({ after: Type.Integer({ minimum: 0 }) }),
      },
    },
    async (req, reply) => {
      const user = req.webUser
      if (!user) return reply.code(401).send()
      const partner = await getUserByUsername(ctx, (req.params as { username: string }).username)
      const { after } = req.query as { after: number }
      const fresh = await messagesAfter(ctx, user, partner.id, after, PER_PAGE)
      if (fresh.data.length === 0) return reply.code(204).header('cache-control', 'no-store').send()
      await markConversationRead(ctx, user, partner.id)
      const items = await Promise.all(
        fresh.data.map((m) => <MessageItem message={m} me={user.id} partner={partner} />),
      )
      if (fresh.more) reply.header('x-more-messages', 'true')
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(items.join(''))
    },
  )
}
