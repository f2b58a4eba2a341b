// Sign-in, sign-up, sign-out and the e-mailed account flows (password reset, address verification) as pages.
// Each POST calls the service the JSON route calls; login and register share the API's rate limits.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { AppError } from '../../lib/errors.js'
import {
  mailedLinkIsLive,
  requestPasswordReset,
  resetPassword,
  verifyEmail,
} from '../../modules/auth/account-email.service.js'
import { LoginBody, RegisterBody } from '../../modules/auth/auth.schemas.js'
import {
  alreadyTaken,
  checkCredentials,
  createAccount,
  endSession,
  startSession,
} from '../../modules/auth/auth.service.js'
import { Email, Password } from '../../modules/users/users.schemas.js'
import { CsrfField, ErrorSummary, Field, FormError, Layout } from '../layout.js'
import {
  FORM_INVALID,
  type FormErrors,
  flash,
  formErrorsOf,
  NO_ERRORS,
  type PageCtx,
  pageCtx,
  parseForm,
  safeNext,
  seeOther,
  sendHtml,
} from '../page.js'
import { clearSessionCookie, setSessionCookie } from '../session.js'
import { inPeoplesWords, USERNAME_RULE } from './words.js'

type Form = Record<string, string | undefined>

/** `path` with the page to return to (already a safe one), as the login and register forms carry it. */
const withNext = (path: string, next: string) =>
  next === '/' ? path : `${path}?next=${encodeURIComponent(next)}`

function LoginPage(p: { ctx: PageCtx; next: string; values: Form; errors: FormErrors }): JSX.Element {
  return (
    <Layout ctx={p.ctx} title="Log in">
      <h1>Log in</h1>
      <form method="post" action={withNext('/login', p.next)} novalidate>
        <CsrfField token={p.ctx.csrf} />
        <FormError message={p.errors.form} />
        <Field
          name="email"
          label="Email or username"
          value={p.values.email}
          error={p.errors.fields.email}
          autocomplete="username"
          required
        />
        <Field
          name="password"
          label="Password"
          type="password"
          error={p.errors.fields.password}
          autocomplete="current-password"
          required
        />
        <button type="submit">Log in</button>
      </form>
      <p>
        <a href="/forgot-password">Forgot your password?</a> · New here?{' '}
        <a href={withNext('/register', p.next)}>Create an account</a>
      </p>
    </Layout>
  )
}

/** The sign-up form's labels, for its fields and its error summary. */
const REGISTER_LABELS = {
  email: 'Email',
  username: 'Username',
  display_name: 'Display name (optional)',
  password: 'Password',
}

function RegisterPage(p: { ctx: PageCtx; next: string; values: Form; errors: FormErrors }): JSX.Element {
  return (
    <Layout ctx={p.ctx} title="Create an account">
      <h1>Create an account</h1>
      <form method="post" action={withNext('/register', p.next)} novalidate>
        <CsrfField token={p.ctx.csrf} />
        <ErrorSummary errors={p.errors} labels={REGISTER_LABELS} />
        <Field
          name="email"
          label={REGISTER_LABELS.email}
          type="email"
          value={p.values.email}
          error={p.errors.fields.email}
          autocomplete="email"
          required
        />
        <Field
          name="username"
          label={REGISTER_LABELS.username}
          value={p.values.username}
          error={p.errors.fields.username}
          hint={`${USERNAME_RULE}.`}
          autocomplete="username"
          required
        />
        <Field
          name="display_name"
          label={REGISTER_LABELS.display_name}
          value={p.values.display_name}
          error={p.errors.fields.display_name}
          autocomplete="name"
        />
        <Field
          name="password"
          label={REGISTER_LABELS.password}
          type="password"
          error={p.errors.fields.password}
          hint="At least 8 characters; not a common password."
          autocomplete="new-password"
          required
        />
        <button type="submit">Create account</button>
      </form>
      <p>
        Already have an account? <a href={withNext('/login', p.next)}>Log in</a>
      </p>
    </Layout>
  )
}

function ForgotPage(p: { ctx: PageCtx; values: Form; errors: FormErrors; sent: boolean }): JSX.Element {
  return (
    <Layout ctx={p.ctx} title="Forgot your password">
      <h1>Forgot your password?</h1>
      {p.sent ? (
        <p role="status">
          If an account has that address, a link to choose a new password is on its way. It works once, for 30
          minutes.
        </p>
      ) : (
        <form method="post" action="/forgot-password" novalidate>
          <CsrfField token={p.ctx.csrf} />
          <FormError message={p.errors.form} />
          <Field
            name="email"
            label="Email"
            type="email"
            value={p.values.email}
            error={p.errors.fields.email}
            autocomplete="email"
            required
          />
          <button type="submit">Send me a link</button>
        </form>
      )}
    </Layout>
  )
}

const DEAD_LINK = 'This link has expired or was already used.'

function ResetPage(p: { ctx: PageCtx; token: string; errors: FormErrors; dead?: boolean }): JSX.Element {
  if (p.dead) {
    return (
      <Layout ctx={p.ctx} title="Choose a new password">
        <h1>Choose a new password</h1>
        <FormError message={DEAD_LINK} />
        <p>
          <a href="/forgot-password">Ask for a new link</a>: it works once, for 30 minutes.
        </p>
      </Layout>
    )
  }
  return (
    <Layout ctx={p.ctx} title="Choose a new password">
      <h1>Choose a new password</h1>
      <form method="post" action="/reset-password" novalidate>
        <CsrfField token={p.ctx.csrf} />
        <input type="hidden" name="token" value={p.token} />
        <FormError message={p.errors.form} />
        <Field
          name="password"
          label="New password"
          type="password"
          error={p.errors.fields.password}
          hint="At least 8 characters; not a common password. Every session of your account is signed out."
          autocomplete="new-password"
          required
        />
        <button type="submit">Set password</button>
      </form>
    </Layout>
  )
}

function VerifyPage(p: { ctx: PageCtx; token: string; errors: FormErrors; dead?: boolean }): JSX.Element {
  if (p.dead) {
    return (
      <Layout ctx={p.ctx} title="Confirm your e-mail address">
        <h1>Confirm your e-mail address</h1>
        <FormError message={DEAD_LINK} />
        {p.ctx.user?.emailVerified ? (
          <p>Your address is confirmed already: there is nothing more to do.</p>
        ) : p.ctx.user ? (
          <p>
            Your <a href="/settings">settings</a> can mail you a new one.
          </p>
        ) : (
          <p>
            <a href={`/login?next=${encodeURIComponent('/settings')}`}>Log in</a> and your settings can mail
            you a new one.
          </p>
        )}
      </Layout>
    )
  }
  return (
    <Layout ctx={p.ctx} title="Confirm your e-mail address">
      <h1>Confirm your e-mail address</h1>
      <FormError message={p.errors.form} />
      <form method="post" action="/verify-email">
        <CsrfField token={p.ctx.csrf} />
        <input type="hidden" name="token" value={p.token} />
        <button type="submit">Confirm my address</button>
      </form>
    </Layout>
  )
}

const Token = Type.String({ minLength: 1, maxLength: 512 })
const ResetForm = Type.Object({ token: Token, password: Password })
const TokenForm = Type.Object({ token: Token })
const ForgotForm = Type.Object({ email: Email })
const NextQuery = Type.Object({ next: Type.Optional(Type.String()) })
const TokenQuery = Type.Object({ token: Type.Optional(Type.String()) })

const TOKEN_GONE = 'This link has expired or was already used. Ask for a new one.'

export async function authPages(app: FastifyInstance) {
  const { ctx } = app

  /**
   * A form refused for too many attempts is its page again, with the reason and what was typed kept (429, with
   * the Retry-After the limit set), not an error page in place of the form. The API's limits, shared.
   */
  const formLimit = (again: (req: FastifyRequest, reply: FastifyReply, errors: FormErrors) => JSX.Element) =>
    app.authRateLimit.map((guard) => async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        await guard(req, reply)
      } catch (err) {
        if (!(err instanceof AppError) || err.code !== 'RATE_LIMITED') throw err
        const wait = Number(reply.getHeader('retry-after')) || 60
        const form = `Too many attempts. Wait ${wait === 1 ? 'a second' : `${wait} seconds`} and try again.`
        await sendHtml(req, reply, again(req, reply, { fields: {}, form }), 429)
        return reply
      }
    })
  const sent = (req: FastifyRequest) => (req.body ?? {}) as Form
  const nextOf = (req: FastifyRequest) => safeNext((req.query as { next?: string }).next)
  const formPage = (req: FastifyRequest, reply: FastifyReply) => pageCtx(req, reply, { forms: true })

  const loginLimit = formLimit((req, reply, errors) => (
    <LoginPage
      ctx={formPage(req, reply)}
      next={nextOf(req)}
      values={{ email: sent(req).email }}
      errors={errors}
    />
  ))
  const registerLimit = formLimit((req, reply, errors) => {
    const { email, username, display_name } = sent(req)
    return (
      <RegisterPage
        ctx={formPage(req, reply)}
        next={nextOf(req)}
        values={{ email, username, display_name }}
        errors={errors}
      />
    )
  })
  const forgotLimit = formLimit((req, reply, errors) => (
    <ForgotPage ctx={formPage(req, reply)} values={{ email: sent(req).email }} errors={errors} sent={false} />
  ))
  const resetLimit = formLimit((req, reply, errors) => (
    <ResetPage ctx={formPage(req, reply)} token={String(sent(req).token ?? '')} errors={errors} />
  ))

  app.get('/login', { schema: { hide: true, querystring: NextQuery } }, async (req, reply) => {
    const next = safeNext((req.query as { next?: string }).next)
    if (req.webUser) return seeOther(reply, next)
    const page = pageCtx(req, reply, { forms: true })
    return sendHtml(req, reply, <LoginPage ctx={page} next={next} values={{}} errors={NO_ERRORS} />)
  })

  app.post(
    '/login',
    { schema: { hide: true, querystring: NextQuery }, preHandler: loginLimit },
    async (req, reply) => {
      const next = safeNext((req.query as { next?: string }).next)
      const form = parseForm<{ email: string; password: string }>(LoginBody, req.body)
      const values = { email: (req.body as Form).email }
      const fail = (errors: FormErrors) =>
        sendHtml(
          req,
          reply,
          <LoginPage
            ctx={pageCtx(req, reply, { forms: true })}
            next={next}
            values={values}
            errors={errors}
          />,
          FORM_INVALID,
        )
      if (!form.ok) return fail(form.errors)
      try {
        const user = await checkCredentials(ctx, form.value)
        // Signing in again (as anyone) ends the session this browser had: one cookie, one live session.
        if (req.webUser) await endSession(ctx.db, req.webUser.id, req.webUser.sessionId)
        setSessionCookie(ctx, reply, await startSession(ctx.db, ctx, user.id, req.headers['user-agent']))
      } catch (err) {
        return fail(formErrorsOf(err))
      }
      flash(reply, 'success', 'You are logged in.')
      return seeOther(reply, next)
    },
  )

  app.get('/register', { schema: { hide: true, querystring: NextQuery } }, async (req, reply) => {
    const next = safeNext((req.query as { next?: string }).next)
    if (req.webUser) return seeOther(reply, next)
    const page = pageCtx(req, reply, { forms: true })
    return sendHtml(req, reply, <RegisterPage ctx={page} next={next} values={{}} errors={NO_ERRORS} />)
  })

  app.post(
    '/register',
    { schema: { hide: true, querystring: NextQuery }, preHandler: registerLimit },
    async (req, reply) => {
      const next = safeNext((req.query as { next?: string }).next)
      const body = req.body as Form
      const values = { email: body.email, username: body.username, display_name: body.display_name }
      const fail = (errors: FormErrors) =>
        sendHtml(
          req,
          reply,
          <RegisterPage
            ctx={pageCtx(req, reply, { forms: true })}
            next={next}
            values={values}
            errors={inPeoplesWords(errors, body.username)}
          />,
          FORM_INVALID,
        )
      const form = parseForm<{ email: string; username: string; password: string; display_name?: string }>(
        RegisterBody,
        req.body,
      )
      if (!form.ok) {
        // A taken address or name is said with the form's other errors, not after they are mended.
        // Only a field that passed its own checks is looked up (one with a NUL in it never reaches the database).
        const fine = (name: 'email' | 'username') => {
          const v = body[name]
          return typeof v === 'string' && !form.errors.fields[name] ? v : ''
        }
        for (const taken of await alreadyTaken(ctx, { email: fine('email'), username: fine('username') }))
          form.errors.fields[taken.field] ??= taken.message
        return fail(form.errors)
      }
      try {
        const sessionId = await createAccount(ctx, form.value, (tx, user) =>
          startSession(tx, ctx, user.id, req.headers['user-agent']),
        )
        setSessionCookie(ctx, reply, sessionId)
      } catch (err) {
        const errors = formErrorsOf(err, { EMAIL_TAKEN: 'email', USERNAME_TAKEN: 'username' })
        // The service stops at its first refusal (a weak password before the address and name are tried, one
        // taken field before the other): the others are said at once, not on the next attempt.
        if (
          err instanceof AppError &&
          ['WEAK_PASSWORD', 'EMAIL_TAKEN', 'USERNAME_TAKEN'].includes(err.code)
        ) {
          for (const taken of await alreadyTaken(ctx, form.value))
            errors.fields[taken.field] ??= taken.message
        }
        return fail(errors)
      }
      flash(reply, 'success', 'Welcome to Stagedoor! We sent you an e-mail to confirm your address.')
      return seeOther(reply, next)
    },
  )

  app.post('/logout', { schema: { hide: true } }, async (req, reply) => {
    if (req.webUser) await endSession(ctx.db, req.webUser.id, req.webUser.sessionId)
    clearSessionCookie(ctx, reply)
    flash(reply, 'success', 'You are logged out.')
    return seeOther(reply, '/')
  })

  app.get('/forgot-password', { schema: { hide: true } }, async (req, reply) => {
    const page = pageCtx(req, reply, { forms: true })
    return sendHtml(req, reply, <ForgotPage ctx={page} values={{}} errors={NO_ERRORS} sent={false} />)
  })

  app.post('/forgot-password', { schema: { hide: true }, preHandler: forgotLimit }, async (req, reply) => {
    const form = parseForm<{ email: string }>(ForgotForm, req.body)
    const page = pageCtx(req, reply, { forms: true })
    if (!form.ok) {
      const values = { email: (req.body as Form).email }
      return sendHtml(
        req,
        reply,
        <ForgotPage ctx={page} values={values} errors={form.errors} sent={false} />,
        FORM_INVALID,
      )
    }
    await requestPasswordReset(ctx, form.value)
    return sendHtml(req, reply, <ForgotPage ctx={page} values={{}} errors={NO_ERRORS} sent />)
  })

  // Opening a link checks it (and uses nothing up): a dead one says so at once, not after a new password is typed.
  app.get('/reset-password', { schema: { hide: true, querystring: TokenQuery } }, async (req, reply) => {
    const token = (req.query as { token?: string }).token ?? ''
    const dead = !(await mailedLinkIsLive(ctx, 'reset_password', token))
    const page = pageCtx(req, reply, { forms: true })
    return sendHtml(req, reply, <ResetPage ctx={page} token={token} errors={NO_ERRORS} dead={dead} />)
  })

  app.post('/reset-password', { schema: { hide: true }, preHandler: resetLimit }, async (req, reply) => {
    const token = String((req.body as Form).token ?? '')
    const fail = (errors: FormErrors, dead = false) =>
      sendHtml(
        req,
        reply,
        <ResetPage
          ctx={pageCtx(req, reply, { forms: true })}
          token={token}
          errors={inPeoplesWords(errors)}
          dead={dead}
        />,
        FORM_INVALID,
      )
    const form = parseForm<{ token: string; password: string }>(ResetForm, req.body)
    if (!form.ok) return fail(form.errors)
    try {
      await resetPassword(ctx, form.value)
    } catch (err) {
      // A link used up meanwhile (in another tab): the dead link's page, not a form that can only fail again.
      if (err instanceof AppError && err.code === 'TOKEN_INVALID') return fail(NO_ERRORS, true)
      return fail(formErrorsOf(err))
    }
    // Every session ended, this browser's included.
    clearSessionCookie(ctx, reply)
    flash(reply, 'success', 'Your password is changed. Log in with the new one.')
    return seeOther(reply, '/login')
  })

  // A GET only shows the button: mail scanners open links, and must not confirm anything. It checks the link
  // (using nothing up), so a dead one says so and where to get another.
  app.get('/verify-email', { schema: { hide: true, querystring: TokenQuery } }, async (req, reply) => {
    const token = (req.query as { token?: string }).token ?? ''
    const dead = !(await mailedLinkIsLive(ctx, 'verify_email', token))
    const page = pageCtx(req, reply, { forms: true })
    return sendHtml(req, reply, <VerifyPage ctx={page} token={token} errors={NO_ERRORS} dead={dead} />)
  })

  app.post('/verify-email', { schema: { hide: true } }, async (req, reply) => {
    const token = String((req.body as Form).token ?? '')
    const form = parseForm<{ token: string }>(TokenForm, req.body)
    try {
      if (!form.ok) throw form.errors
      await verifyEmail(ctx, form.value)
    } catch (err) {
      const errors = { ...(err instanceof Error ? formErrorsOf(err) : NO_ERRORS), form: TOKEN_GONE }
      return sendHtml(
        req,
        reply,
        <VerifyPage ctx={pageCtx(req, reply, { forms: true })} token={token} errors={errors} />,
        FORM_INVALID,
      )
    }
    flash(reply, 'success', 'Your e-mail address is confirmed.')
    return seeOther(reply, req.webUser ? '/settings' : '/')
  })
}
