// What every page handler shares: the page context (who, CSRF token, flash), rendering, redirects, forms.

import type { ErrorObject } from 'ajv'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import { AppError } from '../lib/errors.js'
import { type PageParams, pageParams } from '../lib/pagination.js'
import { NOT_BLANK, validatorWithFormats } from '../lib/schemas.js'
import { hardenSchema } from '../plugins/request-schemas.js'
import { csrfBinding, type WebUser } from './session.js'

export interface Flash {
  kind: 'success' | 'error'
  message: string
}

/** What the layout needs from the request. `csrf` is null on pages without forms (anonymous, cacheable). */
export interface PageCtx {
  user: WebUser | null
  csrf: string | null
  flash: Flash | null
  /** Path and query of this page: where login sends the person back to. */
  path: string
}

export const FLASH_COOKIE = 'sd_flash'

declare module 'fastify' {
  interface FastifyRequest {
    webUser: WebUser | null
  }
}

/**
 * The page context. A CSRF token is made when someone is signed in (the nav's logout is a form) or when the
 * page has a form (`forms`); anonymous pages without one stay identical for everyone, so their ETag holds.
 */
export function pageCtx(req: FastifyRequest, reply: FastifyReply, opts: { forms?: boolean } = {}): PageCtx {
  let flash: Flash | null = null
  const raw = req.cookies[FLASH_COOKIE]
  if (raw) {
    const unsigned = req.unsignCookie(raw)
    if (unsigned.valid && unsigned.value) {
      try {
        flash = JSON.parse(unsigned.value) as Flash
      } catch {
        flash = null
      }
    }
    reply.clearCookie(FLASH_COOKIE, { path: '/' })
  }
  const csrf = req.webUser || opts.forms ? csrfToken(req, reply) : null
  return { user: req.webUser, csrf, flash, path: req.url }
}

const tokens = new WeakMap<FastifyRequest, string>()

/** One CSRF token per request (a second call before the secret cookie is set would mint a second secret). */
function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  let token = tokens.get(req)
  if (!token) {
    token = reply.generateCsrf({ userInfo: csrfBinding(req) })
    tokens.set(req, token)
  }
  return token
}

/** Shows `message` on the next page this browser gets (after a redirect). */
export function flash(reply: FastifyReply, kind: Flash['kind'], message: string): void {
  reply.setCookie(FLASH_COOKIE, JSON.stringify({ kind, message }), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    signed: true,
    maxAge: 60,
  })
}

/** Sends a rendered page. Pages for a signed-in person are never stored by caches. */
export async function sendHtml(
  req: FastifyRequest,
  reply: FastifyReply,
  html: string | Promise<string>,
  status = 200,
) {
  reply.header('vary', 'Cookie')
  if (req.webUser) reply.header('cache-control', 'private, no-store')
  else if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-cache')
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(`<!doctype html>${await html}`)
}

/** 303 to `to` (after a POST, the browser GETs it). */
export function seeOther(reply: FastifyReply, to: string) {
  return reply.redirect(to, 303)
}

/** `next` when it is a path on this site (`/…`, not `//…` nor `/\…`), else `fallback`: no open redirect. */
export function safeNext(next: unknown, fallback = '/'): string {
  if (typeof next !== 'string' || next.length > 2000) return fallback
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback
  // Control characters (a tab or newline inside `/\t/evil.example`) are dropped by browsers: refuse them.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point
  if (/[\u0000-\u001f\\]/.test(next)) return fallback
  return next
}

export const loginPath = (next: string) => `/login?next=${encodeURIComponent(next)}`

/**
 * Where a login should return to: the page asked for, or for a form the page it was sent from (its Referer, on
 * this site only: pages send it to their own origin alone), else the home page.
 */
export function returnPath(req: FastifyRequest): string {
  if (req.method === 'GET') return req.url
  try {
    const from = new URL(req.headers.referer ?? '')
    if (from.host !== new URL(`http://${req.headers.host}`).host) return '/'
    return safeNext(from.pathname + from.search)
  } catch {
    return '/'
  }
}

/** The signed-in person, or a 303 to the login page that returns here (the handler then returns). */
export function requireUser(req: FastifyRequest, reply: FastifyReply): WebUser | null {
  if (req.webUser) return req.webUser
  void seeOther(reply, loginPath(returnPath(req)))
  return null
}

/** Errors a form shows beside its fields (name → message), and one for the whole form. */
export interface FormErrors {
  fields: Record<string, string>
  form?: string
}

/** A form without errors: shared, so frozen (a page that wrote into it would write into every other's). */
export const NO_ERRORS: FormErrors = Object.freeze({ fields: Object.freeze({}) })

/**
 * `errors` with a page's own field messages added, in place of the schema's for the same field: a page checks
 * what the schema cannot (an end after its start) and says it in more words. `errors` is left as it was.
 */
export const withErrors = (errors: FormErrors, own: Record<string, string>): FormErrors => ({
  ...errors,
  fields: { ...errors.fields, ...own },
})

/**
 * The status of a form shown again because a field failed its checks: 422, on every page. (A service's own
 * refusal that a page passes on keeps its status: 409 for a sold-out section.)
 */
export const FORM_INVALID = 422

// The API's formats and value rules (plugins/request-schemas.ts): a form refuses what its JSON route refuses (a
// NUL, a line break in a name) with the field's error, before any value reaches the database.
const formAjv = validatorWithFormats({ allErrors: true, strict: false, useDefaults: true, coerceTypes: true })
const compiled = new WeakMap<TSchema, ReturnType<typeof formAjv.compile>>()

/**
 * A copy of a JSON route's schema for a form, without its `null` alternatives: a form cannot send null (a blank
 * field is left out, and the page turns that into a removal where it means one). With them, the coercion would
 * read a refused "0" as null: "0 tickets per person" would be saved as no limit.
 */
function withoutNull(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutNull)
  if (typeof schema !== 'object' || schema === null) return schema
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(schema)) if (k !== '$id') out[k] = withoutNull(v)
  const options = out.anyOf
  if (Array.isArray(options)) {
    const kept = options.filter((o) => (o as { type?: unknown }).type !== 'null')
    if (kept.length === 1) {
      delete out.anyOf
      return { ...(kept[0] as object), ...out }
    }
    out.anyOf = kept
  }
  return out
}

function fieldOf(e: ErrorObject): string {
  const missing = (e.params as { missingProperty?: string }).missingProperty
  return missing ?? e.instancePath.split('/').filter(Boolean)[0] ?? 'form'
}

/** Whether a field's schema takes a number (alone or beside null): its text is digits, never spaces. */
function isNumeric(field: unknown): boolean {
  const { type, anyOf } = field as { type?: unknown; anyOf?: unknown }
  if (type === 'integer' || type === 'number') return true
  return Array.isArray(anyOf) && anyOf.some(isNumeric)
}

/**
 * Checks a posted form against the same typebox schema the JSON route uses. Empty optional fields are left
 * out first (a browser sends every input, filled or not), and so is a number's field of spaces only: the
 * coercion would read it as 0. Only the schema's own fields are kept.
 */
export function parseForm<T>(
  schema: TSchema,
  body: unknown,
): { ok: true; value: T } | { ok: false; errors: FormErrors } {
  const input: Record<string, unknown> = {}
  const fields = (schema as { properties?: Record<string, unknown> }).properties ?? {}
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (!(k in fields) || v === '') continue
    if (typeof v === 'string' && v.trim() === '' && isNumeric(fields[k])) continue
    input[k] = v
  }
  let validate = compiled.get(schema)
  if (!validate) {
    hardenSchema(schema)
    validate = formAjv.compile(withoutNull(schema) as TSchema)
    compiled.set(schema, validate)
  }
  if (validate(input)) return { ok: true, value: input as T }
  const errors: FormErrors = { fields: {} }
  for (const e of validate.errors ?? []) errors.fields[fieldOf(e)] ??= messageOf(e)
  return { ok: false, errors }
}

const NOT_AS_EXPECTED = 'This is not in the expected form'
const FORMAT_MESSAGES: Record<string, string> = {
  text: 'Remove the control characters',
  line: 'Use one line, without control characters',
  date: 'Enter a real date',
  'date-time': 'Enter a date and time that exist',
  email: 'Enter an e-mail address, such as name@example.com',
}

/** A check's failure in words for the person filling in the form (ajv's own messages are for developers). */
function messageOf(e: ErrorObject): string {
  const p = e.params as { limit?: number; format?: string; type?: string; pattern?: string }
  switch (e.keyword) {
    case 'required':
      return 'Fill this in'
    case 'pattern':
      // A name or title of spaces only reads as an empty one.
      return p.pattern === NOT_BLANK ? 'Fill this in' : NOT_AS_EXPECTED
    case 'format':
      return FORMAT_MESSAGES[p.format ?? ''] ?? NOT_AS_EXPECTED
    case 'maxLength':
      return `Use at most ${p.limit} characters`
    case 'minLength':
      return p.limit === 1 ? 'Fill this in' : `Use at least ${p.limit} characters`
    case 'minimum':
      return `Enter ${p.limit} or more`
    case 'maximum':
      return `Enter ${p.limit} or less`
    case 'type':
      if (p.type === 'integer') return 'Enter a whole number'
      if (p.type === 'number') return 'Enter a number'
      return NOT_AS_EXPECTED
    case 'enum':
      return 'Choose from the list'
    default:
      return NOT_AS_EXPECTED
  }
}

/**
 * A service's refusal as form errors: field errors go beside their fields, the rest above the form.
 * Anything that is not an AppError (a fault) is thrown on, to the error page.
 */
export function formErrorsOf(err: unknown, fieldsByCode: Record<string, string> = {}): FormErrors {
  if (!(err instanceof AppError) || err.status >= 500) throw err
  const errors: FormErrors = { fields: {} }
  for (const e of err.errors ?? []) {
    const name = e.path.replace(/^body\./, '')
    errors.fields[name] ??= e.message
  }
  const field = fieldsByCode[err.code]
  if (field) errors.fields[field] ??= err.message
  else if (!err.errors?.length) errors.form = err.message
  return errors
}

/** A field a form may send more than once, as a list: a browser sends one value bare, and none not at all. */
export const formList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String)

/**
 * Whether a form's confirmation box was ticked (`<input type="checkbox" name="confirm" value="yes" required>`):
 * what cannot be undone (cancelling, deleting, refunding) is not done without it.
 */
export const confirmed = (req: FastifyRequest): boolean =>
  (req.body as { confirm?: unknown } | undefined)?.confirm === 'yes'

/**
 * A page shown again (422) because its confirmation box was not ticked: `message` is said at the top of the page,
 * where a refused form's reasons are, as well as under the box.
 */
export const refusedCtx = (ctx: PageCtx, message: string): PageCtx => ({
  ...ctx,
  flash: { kind: 'error', message },
})

/** A whole number a form or a link sent (digits only, at most nine); anything else, spaces included, is undefined. */
export const wholeNumberOf = (v: unknown): number | undefined =>
  typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : undefined

/**
 * The page of a list a page asks for with `?page=` (or `param`), read by pageNumberOf: anything not a page
 * number is page 1 (a hand-edited link shows the first page rather than an error).
 */
export function requestedPage(req: FastifyRequest, perPage: number, param = 'page'): PageParams {
  const raw = (req.query as Record<string, unknown> | undefined)?.[param]
  return pageParams({ page: pageNumberOf(raw), per_page: perPage })
}

/** The API's last page number: a page past it is as empty as any page past the last. */
const MAX_PAGE = 100_000

/**
 * A page number as a link or a form sent it: digits only (not `1e2`, not `+3`); 0 or none is page 1, and a
 * number past the API's last page is that page, which the pager shows as past the last, with a link back.
 */
export function pageNumberOf(raw: unknown): number {
  if (typeof raw !== 'string' || !/^\d{1,12}$/.test(raw)) return 1
  return Math.min(Math.max(Number(raw), 1), MAX_PAGE)
}

/**
 * The address of a page that shows several lists, each paged by its own parameter (`pages`: each list's page as
 * shown), with list `param` at page `n` and the others where they are.
 */
export function pagesHref(path: string, pages: Record<string, number>, param: string, n: number): string {
  const query = new URLSearchParams(
    Object.entries({ ...pages, [param]: n }).map(([k, v]): [string, string] => [k, String(v)]),
  )
  return `${path}?${query}`
}
