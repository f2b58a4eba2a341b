// The member's settings: profile, avatar, e-mail, password, sessions, account deletion. Changing the e-mail
// or deleting the account asks for the password again (the API asks for a fresh login instead).
import multipart from '@fastify/multipart'
import Bowser from 'bowser'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Ctx } from '../../context.js'
import { AppError } from '../../lib/errors.js'
import { assertPasswordStrong } from '../../lib/passwords.js'
import { resendVerification } from '../../modules/auth/account-email.service.js'
import { activeSessions, endSession, revokeSessions } from '../../modules/auth/auth.service.js'
import { AVATAR_MAX_BYTES, setAvatar } from '../../modules/avatars/avatars.service.js'
import type { UserOwnT } from '../../modules/users/users.schemas.js'
import { ChangePasswordBody, Email, UpdateMeBody } from '../../modules/users/users.schemas.js'
import {
  changePassword,
  confirmOwnPassword,
  deleteUser,
  getOwnProfile,
  updateOwnProfile,
} from '../../modules/users/users.service.js'
import { inPeoplesWords } from '../auth/words.js'
import { ownPath, when } from '../format.js'
import { CsrfField, Field, FormError, Layout } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  requireUser,
  seeOther,
  sendHtml,
} from '../page.js'
import { clearSessionCookie, SESSION_TOUCH_INTERVAL_MS, setSessionCookie, type WebUser } from '../session.js'

type Section = 'profile' | 'email' | 'verify' | 'password' | 'avatar' | 'delete'
interface Problem {
  section: Section
  errors: FormErrors
  values?: Record<string, string | undefined>
}

/** What a refused form did not do, said at the top of the page, linking to the section with the reasons. */
const NOT_DONE: Record<Section, string> = {
  profile: 'Your profile was not saved: see why under “Profile”.',
  avatar: 'Your avatar was not changed: see why under “Avatar”.',
  email: 'Your e-mail address was not changed: see why under “E-mail”.',
  verify: 'No new link was mailed: see why under “E-mail”.',
  password: 'Your password was not changed: see why under “Password”.',
  delete: 'Your account was not deleted: see why under “Delete your account”.',
}
const HEADING_OF: Record<Section, string> = {
  profile: 'profile-h',
  avatar: 'avatar-h',
  email: 'email-h',
  verify: 'email-h',
  password: 'password-h',
  delete: 'delete-h',
}

/** The profile form's own fields: a changed e-mail address is the e-mail form's, with the password. */
const ProfileForm = Type.Omit(UpdateMeBody, ['email'])
/**
 * The profile's fields that cannot be emptied: sent empty, each is an error beside it ("Fill this in"), not a
 * "Profile saved." that kept the old value. Left out of the form, each stays as it is. An emptied bio removes it.
 */
const PROFILE_FILLED = ['display_name', 'username']
const OwnPassword = Type.String({ minLength: 1, maxLength: 1024 })
const EmailForm = Type.Object({ email: Email, current_password: OwnPassword })
const ConfirmForm = Type.Object({ current_password: OwnPassword })

/**
 * A session's device as people name it ("Firefox on Linux"), from its User-Agent; a client that is not a browser
 * by its first word ("curl/8.5.0").
 */
function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'An unknown device'
  const { browser, os } = Bowser.parse(userAgent)
  if (browser.name && os.name) return `${browser.name} on ${os.name}`
  return browser.name || os.name || userAgent.split(' ')[0]!.slice(0, 60)
}

/**
 * When a session was last used: within the interval its use is written at, no closer time is known; else the time
 * (as "signed in" says it).
 */
function lastUsed(at: Date): string {
  return Date.now() - at.getTime() < SESSION_TOUCH_INTERVAL_MS
    ? `used in the last ${SESSION_TOUCH_INTERVAL_MS / 60_000} minutes`
    : `last used ${when(at)}`
}

/** This browser's session first, then the others most recently used first (as `activeSessions` orders them). */
function thisBrowserFirst<T extends { id: string }>(sessions: T[], current: string | undefined): T[] {
  return [...sessions.filter((s) => s.id === current), ...sessions.filter((s) => s.id !== current)]
}

function SettingsPage(p: {
  ctx: PageCtx
  me: UserOwnT
  sessions: { id: string; createdAt: Date; lastUsedAt: Date; userAgent: string | null }[]
  problem?: Problem
}) {
  const errorsFor = (s: Section) => (p.problem?.section === s ? p.problem.errors : NO_ERRORS)
  const valueFor = (s: Section, name: string, fallback?: string) =>
    p.problem?.section === s ? (p.problem.values?.[name] ?? fallback) : fallback
  const me = p.me
  const csrf = p.ctx.csrf
  const avatarError = errorsFor('avatar').fields.avatar
  return (
    <Layout ctx={p.ctx} title="Settings">
      <h1>Settings</h1>
      {p.problem ? (
        // A refused form's page opens at its top, its reasons beside the form far below on a phone.
        <p class="error-summary" role="alert">
          <a href={`#${HEADING_OF[p.problem.section]}`} safe>
            {NOT_DONE[p.problem.section]}
          </a>
        </p>
      ) : (
        ''
      )}
      <section aria-labelledby="profile-h">
        <h2 id="profile-h">Profile</h2>
        <form method="post" action="/settings/profile" novalidate>
          <CsrfField token={csrf} />
          <FormError message={errorsFor('profile').form} />
          <Field
            name="display_name"
            label="Display name"
            value={valueFor('profile', 'display_name', me.display_name)}
            error={errorsFor('profile').fields.display_name}
            required
          />
          <Field
            name="username"
            label="Username"
            value={valueFor('profile', 'username', me.username)}
            error={errorsFor('profile').fields.username}
            required
          />
          <Field
            name="bio"
            label="About you"
            type="textarea"
            value={valueFor('profile', 'bio', me.bio)}
            error={errorsFor('profile').fields.bio}
          />
          <button type="submit">Save profile</button>
        </form>
      </section>
      <section aria-labelledby="avatar-h">
        <h2 id="avatar-h">Avatar</h2>
        {me.avatar_url ? <img class="avatar" src={ownPath(me.avatar_url)} alt="Your current avatar" /> : ''}
        <form method="post" action="/settings/avatar" enctype="multipart/form-data">
          <CsrfField token={csrf} />
          <FormError message={errorsFor('avatar').form} />
          <label for="f-avatar">
            Image (JPEG, PNG or WebP, at most 5 MB)
            <input
              id="f-avatar"
              type="file"
              name="avatar"
              accept="image/jpeg,image/png,image/webp"
              required
              aria-invalid={avatarError ? 'true' : undefined}
              aria-describedby={avatarError ? 'f-avatar-error' : undefined}
            />
            {avatarError ? (
              <small id="f-avatar-error" class="field-error" safe>
                {avatarError}
              </small>
            ) : (
              ''
            )}
          </label>
          <button type="submit">Upload avatar</button>
        </form>
      </section>
      <section aria-labelledby="email-h">
        <h2 id="email-h">E-mail</h2>
        <p safe>{`${me.email} · ${me.email_verified ? 'confirmed' : 'not confirmed yet'}`}</p>
        {me.email_verified ? (
          ''
        ) : (
          <form method="post" action="/settings/verify">
            <CsrfField token={csrf} />
            <FormError message={errorsFor('verify').form} />
            <button type="submit" class="secondary">
              Mail me a new confirmation link
            </button>
          </form>
        )}
        <form method="post" action="/settings/email" novalidate>
          <CsrfField token={csrf} />
          <FormError message={errorsFor('email').form} />
          <Field
            name="email"
            label="New e-mail address"
            type="email"
            value={valueFor('email', 'email')}
            error={errorsFor('email').fields.email}
            autocomplete="email"
            required
          />
          <Field
            id="f-email-current_password"
            name="current_password"
            label="Your password"
            type="password"
            error={errorsFor('email').fields.current_password}
            autocomplete="current-password"
            required
          />
          <button type="submit">Change e-mail</button>
        </form>
      </section>
      <section aria-labelledby="password-h">
        <h2 id="password-h">Password</h2>
        <form method="post" action="/settings/password" novalidate>
          <CsrfField token={csrf} />
          <FormError message={errorsFor('password').form} />
          <Field
            name="current_password"
            label="Current password"
            type="password"
            error={errorsFor('password').fields.current_password}
            autocomplete="current-password"
            required
          />
          <Field
            name="new_password"
            label="New password"
            type="password"
            error={errorsFor('password').fields.new_password ?? errorsFor('password').fields.password}
            hint="At least 8 characters. Your other sessions are signed out."
            autocomplete="new-password"
            required
          />
          <button type="submit">Change password</button>
        </form>
      </section>
      <section aria-labelledby="sessions-h">
        <h2 id="sessions-h">Sessions</h2>
        <ul class="sessions">
          {thisBrowserFirst(p.sessions, p.ctx.user?.sessionId).map((s) => {
            const own = s.id === p.ctx.user?.sessionId
            const named = `${deviceName(s.userAgent)} · signed in ${when(s.createdAt)}`
            return (
              <li>
                <span safe>{named}</span>
                {own ? null : <span safe>{` · ${lastUsed(s.lastUsedAt)}`}</span>}
                {own ? (
                  <strong> (this browser)</strong>
                ) : (
                  <form method="post" action={`/settings/sessions/${s.id}/end`} class="inline">
                    <CsrfField token={csrf} />
                    <button type="submit" class="secondary outline">
                      Log out{' '}
                      <span class="visually-hidden" safe>
                        {named}
                      </span>
                    </button>
                  </form>
                )}
              </li>
            )
          })}
        </ul>
        <form method="post" action="/logout-all">
          <CsrfField token={csrf} />
          <button type="submit" class="secondary">
            Log out everywhere
          </button>
        </form>
      </section>
      <section aria-labelledby="delete-h">
        <h2 id="delete-h">Delete your account</h2>
        <p>
          Your posts, messages and friendships are deleted. Invoices stay, without your name. Events you
          organize that have not started are cancelled, and their buyers refunded. Your tickets for events
          that have not started are given back: unpaid ones released, paid ones refunded to whoever paid for
          them.
        </p>
        <form method="post" action="/settings/delete" novalidate>
          <CsrfField token={csrf} />
          <FormError message={errorsFor('delete').form} />
          <Field
            id="f-delete-current_password"
            name="current_password"
            label="Your password"
            type="password"
            error={errorsFor('delete').fields.current_password}
            autocomplete="current-password"
            required
          />
          <button type="submit" class="contrast">
            Delete my account
          </button>
        </form>
      </section>
    </Layout>
  )
}

async function render(
  ctx: Ctx,
  req: FastifyRequest,
  reply: FastifyReply,
  user: WebUser,
  problem?: Problem,
  status?: number,
) {
  const [me, sessions] = await Promise.all([getOwnProfile(ctx, user), activeSessions(ctx.db, user.id)])
  return sendHtml(
    req,
    reply,
    <SettingsPage ctx={pageCtx(req, reply)} me={me} sessions={sessions} problem={problem} />,
    problem ? (status ?? FORM_INVALID) : 200,
  )
}

/** Which field a service's refusal belongs beside, per form: a wrong password, a name or address taken. */
const FIELD_OF_CODE: Record<Exclude<Section, 'avatar'>, Record<string, string>> = {
  profile: { USERNAME_TAKEN: 'username' },
  verify: {},
  email: { INVALID_CREDENTIALS: 'current_password', EMAIL_TAKEN: 'email' },
  password: { INVALID_CREDENTIALS: 'current_password' },
  delete: { INVALID_CREDENTIALS: 'current_password' },
}
// Every refusal of an upload is about the one file.
const AVATAR_FIELD = {
  UNSUPPORTED_MEDIA_TYPE: 'avatar',
  PAYLOAD_TOO_LARGE: 'avatar',
  VALIDATION_FAILED: 'avatar',
}
const AVATAR_TOO_LARGE = 'The image is larger than 5 MB'

export async function settingsPages(app: FastifyInstance) {
  const { ctx } = app

  /**
   * The reasons a refusal hid, so that a form says them all at once: a wrong current password behind the form's
   * own checks, and a too-common new password behind a wrong current one. Each is checked only when its field was
   * sent and has no reason yet; the current password costs one hash, as the next attempt would.
   */
  async function hiddenReasons(
    user: WebUser,
    section: Section,
    body: Record<string, string>,
    errors: FormErrors,
  ): Promise<void> {
    const unchecked = (name: string) =>
      typeof body[name] === 'string' && body[name] !== '' && errors.fields[name] === undefined
    if ((section === 'email' || section === 'password') && unchecked('current_password')) {
      try {
        await confirmOwnPassword(ctx, user, body.current_password!)
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'INVALID_CREDENTIALS') throw err
        errors.fields.current_password = err.message
      }
    }
    if (section === 'password' && unchecked('new_password')) {
      const me = await getOwnProfile(ctx, user)
      try {
        assertPasswordStrong(body.new_password!, { username: me.username, email: me.email }, 'new_password')
      } catch (err) {
        Object.assign(errors.fields, formErrorsOf(err).fields)
      }
    }
  }

  /**
   * A settings form: validate, run, flash and come back; a refusal re-renders the page with the errors. `filled`
   * names the fields that, sent empty, are refused rather than left as they are.
   */
  function settingsForm<T>(
    section: Exclude<Section, 'avatar'>,
    schema: Parameters<typeof parseForm>[0],
    run: (user: WebUser, value: T, reply: FastifyReply, req: FastifyRequest) => Promise<string | undefined>,
    filled: readonly string[] = [],
  ) {
    app.post(`/settings/${section}`, { schema: { hide: true } }, async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const body = req.body as Record<string, string>
      const values = {
        ...body,
        current_password: undefined,
        new_password: undefined,
      }
      const parsed = parseForm<T>(schema, body)
      const emptied = filled.filter((name) => body[name] === '')
      const form: typeof parsed =
        emptied.length === 0
          ? parsed
          : {
              ok: false,
              errors: {
                fields: {
                  ...(parsed.ok ? {} : parsed.errors.fields),
                  ...Object.fromEntries(emptied.map((name) => [name, 'Fill this in'])),
                },
              },
            }
      // A malformed username and a refused new password in a person's words.
      const words = (errors: FormErrors) => inPeoplesWords(errors, body.username)
      if (!form.ok) {
        await hiddenReasons(user, section, body, form.errors)
        return render(ctx, req, reply, user, { section, errors: words(form.errors), values })
      }
      let to: string | undefined
      try {
        to = await run(user, form.value, reply, req)
      } catch (err) {
        const refused = formErrorsOf(err, FIELD_OF_CODE[section])
        // A wrong current password is checked first: what it hid is checked now. (Past it, nothing was hidden.)
        if (refused.fields.current_password !== undefined) await hiddenReasons(user, section, body, refused)
        const errors = words(refused)
        // Asked too soon: 429 with the wait in Retry-After, as the API answers.
        const limited = err instanceof AppError && err.status === 429
        if (limited && err.headers) reply.headers(err.headers)
        return render(ctx, req, reply, user, { section, errors, values }, limited ? 429 : undefined)
      }
      return seeOther(reply, to ?? '/settings')
    })
  }

  app.get('/settings', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    return user ? render(ctx, req, reply, user) : reply
  })

  settingsForm<{ display_name?: string; username?: string; bio?: string }>(
    'profile',
    ProfileForm,
    async (user, value, reply) => {
      await updateOwnProfile(ctx, user, {
        display_name: value.display_name,
        username: value.username,
        bio: value.bio ?? '',
      })
      flash(reply, 'success', 'Profile saved.')
      return undefined
    },
    PROFILE_FILLED,
  )

  settingsForm<{ email: string; current_password: string }>(
    'email',
    EmailForm,
    async (user, value, reply) => {
      await confirmOwnPassword(ctx, user, value.current_password)
      // The password was just given again: as fresh as a new login.
      await updateOwnProfile(ctx, { ...user, fresh: true }, { email: value.email })
      flash(reply, 'success', 'E-mail changed. We sent a link to the new address to confirm it.')
      return undefined
    },
  )

  settingsForm<Record<string, never>>('verify', Type.Object({}), async (user, _value, reply) => {
    try {
      await resendVerification(ctx, user.id)
    } catch (err) {
      // Confirmed in another tab since this page was drawn: nothing to send, and nothing went wrong.
      if (!(err instanceof AppError) || err.code !== 'EMAIL_ALREADY_VERIFIED') throw err
      flash(reply, 'success', 'Your e-mail address is already confirmed.')
      return undefined
    }
    flash(reply, 'success', 'A new confirmation link is on its way to your address.')
    return undefined
  })

  settingsForm<{ current_password: string; new_password: string }>(
    'password',
    ChangePasswordBody,
    async (user, value, reply, req) => {
      // This browser goes on in a new session (a new cookie); every other one, and the old cookie, are signed out.
      const renewed = await changePassword(ctx, user, value, { userAgent: req.headers['user-agent'] })
      if (renewed) setSessionCookie(ctx, reply, renewed)
      flash(reply, 'success', 'Password changed. Your other sessions are signed out.')
      return undefined
    },
  )

  settingsForm<{ current_password: string }>('delete', ConfirmForm, async (user, value, reply) => {
    await confirmOwnPassword(ctx, user, value.current_password)
    await deleteUser(ctx, user.id)
    clearSessionCookie(ctx, reply)
    flash(reply, 'success', 'Your account is deleted.')
    return '/'
  })

  // One session ended from the list: another browser, a phone, an API client. This browser's own is the
  // header's "Log out".
  app.post(
    '/settings/sessions/:id/end',
    { schema: { hide: true, params: Type.Object({ id: Type.String({ format: 'uuid' }) }) } },
    async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const { id } = req.params as { id: string }
      const ended = await endSession(ctx.db, user.id, id)
      if (id === user.sessionId) {
        clearSessionCookie(ctx, reply)
        flash(reply, 'success', 'You are logged out.')
        return seeOther(reply, '/login')
      }
      // Ended already, expired, or another member's: the same words, which tell nothing of others' sessions.
      flash(
        reply,
        ended ? 'success' : 'error',
        ended ? 'That session is logged out.' : 'That session had already ended.',
      )
      return seeOther(reply, '/settings')
    },
  )

  app.post('/logout-all', { schema: { hide: true } }, async (req, reply) => {
    const user = requireUser(req, reply)
    if (!user) return reply
    await revokeSessions(ctx.db, user.id)
    clearSessionCookie(ctx, reply)
    flash(reply, 'success', 'You are logged out everywhere.')
    return seeOther(reply, '/login')
  })

  // The avatar form is multipart: parsed in this scope only, fields first, so the CSRF hook can read _csrf.
  await app.register(async (scope) => {
    await scope.register(multipart, {
      attachFieldsToBody: 'keyValues',
      limits: { fileSize: AVATAR_MAX_BYTES, files: 1, fields: 5, parts: 6, fieldSize: 1024 },
    })
    // A file past 5 MB stops the multipart parser before the handler runs: the settings page again, with the
    // reason beside the file field. 413, as the API answers: the request itself was too large to take, which
    // is not a value in a form that was read and refused (422).
    scope.setErrorHandler(async (err: FastifyError, req, reply) => {
      if (err.code !== 'FST_REQ_FILE_TOO_LARGE' || !req.webUser) throw err
      const errors = { fields: { avatar: AVATAR_TOO_LARGE } }
      return render(ctx, req, reply, req.webUser, { section: 'avatar', errors }, 413)
    })
    scope.post('/settings/avatar', { schema: { hide: true } }, async (req, reply) => {
      const user = requireUser(req, reply)
      if (!user) return reply
      const upload = (req.body as Record<string, unknown> | undefined)?.avatar
      try {
        if (!Buffer.isBuffer(upload) || upload.length === 0) {
          throw new AppError('VALIDATION_FAILED', 'Choose an image file to upload.')
        }
        await setAvatar(ctx, user, upload)
      } catch (err) {
        return render(ctx, req, reply, user, { section: 'avatar', errors: formErrorsOf(err, AVATAR_FIELD) })
      }
      flash(reply, 'success', 'Avatar updated.')
      return seeOther(reply, '/settings')
    })
  })
}
