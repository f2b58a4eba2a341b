// The page shell every page shares: head (title, description, Open Graph, stylesheet), skip link, header with
// the navigation for the person's role, the flash message, main, footer. Only external scripts (see plugin.ts).

import type { Children } from '@kitajs/html'
import { assetUrl } from './assets.js'
import { attr } from './format.js'
import type { FormErrors, PageCtx } from './page.js'

export interface LayoutProps {
  ctx: PageCtx
  title: string
  description?: string
  /** Extra head elements (Open Graph, JSON-LD), already rendered. */
  head?: JSX.Element
  /** Script asset names (external files) this page adds. */
  scripts?: string[]
  children?: Children
}

export function Layout(props: LayoutProps): JSX.Element {
  const { ctx } = props
  // Rendered markup (Open Graph, JSON-LD) from typed templates, not text.
  const safeHead = props.head ?? ''
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title safe>{`${props.title} · Stagedoor`}</title>
        {props.description ? <meta name="description" content={attr(props.description)} /> : ''}
        <meta name="color-scheme" content="light" />
        <link rel="stylesheet" href={assetUrl('site.css')} />
        <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
        {safeHead}
        {(props.scripts ?? []).map((name) => (
          <script src={assetUrl(name)} defer />
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="container site-header">
          <Nav ctx={ctx} />
        </header>
        <main id="main" class="container" tabindex="-1">
          {ctx.flash ? (
            <p
              class={`flash flash-${ctx.flash.kind}`}
              role={ctx.flash.kind === 'error' ? 'alert' : 'status'}
              safe
            >
              {ctx.flash.message}
            </p>
          ) : (
            ''
          )}
          {props.children}
        </main>
        <footer class="container site-footer">
          <small>
            Stagedoor · <a href="/docs">API</a> · <a href="/search">Search</a>
          </small>
        </footer>
      </body>
    </html>
  )
}

function Nav({ ctx }: { ctx: PageCtx }): JSX.Element {
  const user = ctx.user
  return (
    <nav aria-label="Main">
      <ul>
        <li>
          <a href="/" class="brand">
            <strong>Stagedoor</strong>
          </a>
        </li>
      </ul>
      <ul>
        <li>
          <a href="/">Events</a>
        </li>
        {user ? (
          <>
            <li>
              <a href="/feed">Feed</a>
            </li>
            <li>
              <a href="/tickets">Tickets</a>
            </li>
            <li>
              <a href="/messages">Messages</a>
            </li>
            <li>
              <a href="/friends">Friends</a>
            </li>
            <li>
              <a href="/organizer/events">My events</a>
            </li>
            {user.role === 'admin' ? (
              <li>
                <a href="/admin/users">Admin</a>
              </li>
            ) : (
              ''
            )}
            <li>
              <a href="/settings" safe>
                {user.username}
              </a>
            </li>
            <li>
              <form method="post" action="/logout" class="inline">
                <CsrfField token={ctx.csrf} />
                <button type="submit" class="link-button">
                  Log out
                </button>
              </form>
            </li>
          </>
        ) : (
          <>
            <li>
              <a href={`/login?next=${encodeURIComponent(ctx.path)}`}>Log in</a>
            </li>
            <li>
              {/* From the login page, signing up returns where the login would have (its `next`). */}
              <a
                href={
                  ctx.path.startsWith('/login?') ? `/register${ctx.path.slice('/login'.length)}` : '/register'
                }
              >
                Sign up
              </a>
            </li>
          </>
        )}
      </ul>
    </nav>
  )
}

/** The hidden CSRF field every state-changing form carries. */
export function CsrfField({ token }: { token: string | null }): JSX.Element {
  return token ? <input type="hidden" name="_csrf" value={token} /> : ''
}

export interface FieldProps {
  /** The control's id, when two forms of one page have a field of the same name (else `f-<name>`). */
  id?: string
  name: string
  label: string
  type?: string
  /** The least number a number field takes. */
  min?: string
  value?: string
  error?: string
  hint?: string
  required?: boolean
  autocomplete?: string
  minlength?: number
  maxlength?: number
}

/** A labelled input; its error (and hint) are tied to it with aria-describedby, and it is marked invalid. */
export function Field(p: FieldProps): JSX.Element {
  const id = p.id ?? `f-${p.name}`
  // An error that repeats the hint word for word stands in for it: said once, in the error's colour.
  const sentence = (s?: string) => s?.replace(/\.$/, '')
  const hint = p.hint !== undefined && sentence(p.hint) !== sentence(p.error) ? p.hint : undefined
  const described = [p.error ? `${id}-error` : '', hint ? `${id}-hint` : ''].filter(Boolean).join(' ')
  return (
    <label for={id}>
      <span safe>{p.label}</span>
      {p.type === 'textarea' ? (
        <textarea
          id={id}
          name={p.name}
          required={p.required}
          maxlength={p.maxlength}
          aria-invalid={p.error ? 'true' : undefined}
          aria-describedby={described || undefined}
          safe
        >
          {p.value ?? ''}
        </textarea>
      ) : (
        <input
          id={id}
          name={p.name}
          type={p.type ?? 'text'}
          min={p.min}
          value={attr(p.value)}
          required={p.required}
          autocomplete={p.autocomplete}
          minlength={p.minlength}
          maxlength={p.maxlength}
          aria-invalid={p.error ? 'true' : undefined}
          aria-describedby={described || undefined}
        />
      )}
      {hint ? (
        <small id={`${id}-hint`} safe>
          {hint}
        </small>
      ) : (
        ''
      )}
      {p.error ? (
        <small id={`${id}-error`} class="field-error" safe>
          {p.error}
        </small>
      ) : (
        ''
      )}
    </label>
  )
}

/**
 * A refused form's reasons at its top, each a link to its field: a screen reader hears them at once, and a phone
 * shows them without scrolling to the field that failed. Each links to Field's id (`f-<name>`); `labels` names the
 * fields as their labels do, in the form's order (a field without one is named by its message alone). Without
 * field errors, the form's own message as FormError.
 */
export function ErrorSummary(p: { errors?: FormErrors; labels: Record<string, string> }): JSX.Element {
  // In the form's order (the labels'), then any field the labels do not name.
  const order = Object.keys(p.labels)
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length)
  const fields = Object.entries(p.errors?.fields ?? {}).sort(([a], [b]) => rank(a) - rank(b))
  if (fields.length === 0) return <FormError message={p.errors?.form} />
  return (
    <div class="error-summary" role="alert">
      <p safe>
        {p.errors?.form ??
          (fields.length === 1
            ? 'Nothing was saved: one field needs a change.'
            : `Nothing was saved: ${fields.length} fields need a change.`)}
      </p>
      <ul>
        {fields.map(([name, message]) => (
          <li>
            <a href={`#f-${name}`} safe>
              {p.labels[name] ? `${p.labels[name]}: ${message}` : message}
            </a>
          </li>
        ))}
      </ul>
    </div>
  )
}

/** The message above a form when it was refused as a whole. */
export function FormError({ message }: { message?: string }): JSX.Element {
  return message ? (
    <p class="form-error" role="alert" safe>
      {message}
    </p>
  ) : (
    ''
  )
}

/**
 * The box ticked to send what cannot be undone (cancelling, deleting, refunding): `confirmed(req)` reads it. Sent
 * unticked (the browser's `required` aside), the page comes back with the reason under the box, tied to it.
 */
export function ConfirmBox(p: { id: string; label: string; error?: string }): JSX.Element {
  return (
    <label for={p.id}>
      <input
        type="checkbox"
        id={p.id}
        name="confirm"
        value="yes"
        required
        aria-invalid={p.error ? 'true' : undefined}
        aria-describedby={p.error ? `${p.id}-error` : undefined}
      />{' '}
      <span safe>{p.label}</span>
      {p.error ? (
        <small id={`${p.id}-error`} class="field-error" safe>
          {p.error}
        </small>
      ) : (
        ''
      )}
    </label>
  )
}

interface PagerProps {
  page: number
  totalPages: number
  /** The address of page `n`. */
  href: (n: number) => string
  /** The words of the two links, e.g. ['← Newer', 'Older →']. */
  words?: [previous: string, next: string]
  /** What the pages are, for screen readers (the nav's label). */
  label?: string
  /** Said between the links; "Page N of M" unless given. */
  summary?: string
}

/**
 * The links between the pages of a list, shown when there is more than one page, or when a hand-edited link asks
 * for a page past the last: that page is empty, and the pager says so and leads back to the last page.
 */
export function Pager(p: PagerProps): JSX.Element {
  const past = p.page > Math.max(p.totalPages, 1)
  if (p.totalPages <= 1 && !past) return ''
  const [previous, next] = p.words ?? ['← Previous', 'Next →']
  return (
    <nav aria-label={p.label ?? 'Pages'} class="pager">
      {past ? (
        <a href={p.href(Math.max(p.totalPages, 1))}>
          {p.totalPages > 1 ? `Back to the last page (${p.totalPages})` : 'Back to the first page'}
        </a>
      ) : p.page > 1 ? (
        <a href={p.href(p.page - 1)} rel="prev" safe>
          {previous}
        </a>
      ) : (
        <span />
      )}
      <span safe>
        {past ? `Page ${p.page} is past the last page` : (p.summary ?? `Page ${p.page} of ${p.totalPages}`)}
      </span>
      {p.page < p.totalPages ? (
        <a href={p.href(p.page + 1)} rel="next" safe>
          {next}
        </a>
      ) : (
        <span />
      )}
    </nav>
  )
}
