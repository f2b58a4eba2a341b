// The web pages: a second adapter over the services, beside the JSON API. Everything page-specific lives in
// this encapsulated scope (cookies, form bodies, CSRF, the CSP, HTML error pages), so the API under /api/v1
// keeps answering 415 to form bodies and never reads a cookie. The one thing set on the root is the HTML 404
// page, which the root not-found handler shows to browsers.
import { createHmac } from 'node:crypto'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { databaseUnavailable, dataException, queryFailure } from '../db/errors.js'
import { AppError } from '../lib/errors.js'
import {
  failureName,
  multipartMalformed,
  RETRY_AFTER_SECONDS,
  retryAfterLostConnection,
} from '../plugins/errors.js'
import { adminPages } from './admin/admin.pages.js'
import { assetsByUrl } from './assets.js'
import { authPages } from './auth/auth.pages.js'
import { checkInPages } from './box-office/checkin.pages.js'
import { checkoutPages } from './box-office/checkout.pages.js'
import { extendHoldPages } from './box-office/extend-hold.pages.js'
import { invoicePages } from './box-office/invoices.pages.js'
import { reservePages } from './box-office/reserve.pages.js'
import { ticketPages } from './box-office/tickets.pages.js'
import { waitlistPages } from './box-office/waitlist.pages.js'
import { ErrorPage } from './errors.js'
import { eventPages } from './events/events.pages.js'
import { organizerEventPages } from './organizer/events.pages.js'
import { salesPages } from './organizer/sales.pages.js'
import { staffPages } from './organizer/staff.pages.js'
import { organizerVoucherPages } from './organizer/vouchers.pages.js'
import { webhookPages } from './organizer/webhooks.pages.js'
import { loginPath, type PageCtx, pageCtx, returnPath, safeNext, seeOther, sendHtml } from './page.js'
import { clearSessionCookie, csrfBinding, readSession } from './session.js'
import { settingsPages } from './settings/settings.pages.js'
import { messagePages } from './social/messages.pages.js'
import { postEditPages } from './social/post-edit.pages.js'
import { socialPages } from './social/social.pages.js'

/**
 * Scripts only from files on this site (no inline script, so no nonce: a page stays byte-identical between
 * requests and its ETag holds); JSON-LD blocks are data, not scripts, and are not affected.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ')

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

function anonymousCtx(req: FastifyRequest): PageCtx {
  return { user: null, csrf: null, flash: null, path: req.url }
}

/** The error as a page: 4xx say what was refused, 5xx say nothing of the cause (it goes to the log). */
async function errorPage(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail?: string,
  words?: { body: string; link: { href: string; text: string } },
) {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
  reply.header('cache-control', 'no-store')
  const ctx = req.cookies ? pageCtx(req, reply) : anonymousCtx(req)
  // A page refused on a GET was no form that may have expired: its own words.
  const body =
    words?.body ??
    (status === 403 && SAFE_METHODS.has(req.method) ? 'This page is not open to you.' : undefined)
  return sendHtml(req, reply, ErrorPage({ ctx, status, detail, body, link: words?.link }), status)
}

/**
 * A form refused for its CSRF token (403): most often one shown before its browser logged in or out (in another
 * tab), as tokens are bound to the session. The page says so, and links to the login or back to the form's page.
 */
function refusedForm(req: FastifyRequest, reply: FastifyReply) {
  const back = returnPath(req)
  return errorPage(
    req,
    reply,
    403,
    undefined,
    req.webUser
      ? {
          body: 'This form was shown before you logged in or out, or it has expired: nothing was done. Open its page again and send it once more.',
          link: { href: back, text: 'Open the page again' },
        }
      : {
          body: 'You are not logged in (any more), or this form has expired: nothing was done. Log in, then send it once more.',
          link: { href: loginPath(back), text: 'Log in' },
        },
  )
}

async function pages(app: FastifyInstance) {
  const { config } = app
  // A key of its own for cookie signatures, derived from the one secret the server has.
  const secret = createHmac('sha256', config.JWT_SECRET).update('stagedoor web cookies').digest('base64url')
  await app.register(cookie, { secret })
  await app.register(formbody, { bodyLimit: 64 * 1024 })
  await app.register(csrf, {
    cookieKey: 'sd_csrf',
    cookieOpts: {
      path: '/',
      sameSite: 'lax',
      httpOnly: true,
      signed: true,
      secure: config.NODE_ENV === 'production',
    },
    // Tokens are bound to the session cookie (`userInfo`, HMAC-ed with a server key): the secret cookie alone,
    // tossed into a browser from elsewhere with a token that matches it, does not pass for a signed-in session.
    getUserInfo: csrfBinding,
    csrfOpts: {
      hmacKey: createHmac('sha256', config.JWT_SECRET).update('stagedoor csrf tokens').digest('base64url'),
    },
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined
      const fromBody = body && typeof body._csrf === 'string' ? body._csrf : undefined
      const header = req.headers['x-csrf-token']
      return fromBody ?? (typeof header === 'string' ? header : undefined)
    },
  })

  app.decorateRequest('webUser', null)
  app.addHook('onRequest', async (req, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
    // Assets are the same for everyone: no session look-up.
    if (req.url.startsWith('/assets/')) return
    req.webUser = await readSession(app.ctx, req)
    req.actor = req.webUser
  })
  // Every state-changing request carries the CSRF token (after the body is parsed: it is a form field).
  app.addHook('preHandler', (req, reply, done) => {
    if (SAFE_METHODS.has(req.method)) return done()
    // Forms that would change nothing are sent on, whatever their token (one from another tab, shown before a
    // login or logout there): a login or sign-up while logged in already (as their GET does), a logout while
    // logged out.
    const path = req.url.split('?')[0]
    if (req.webUser && (path === '/login' || path === '/register')) {
      seeOther(reply, safeNext((req.query as { next?: unknown }).next))
      return
    }
    if (!req.webUser && path === '/logout') {
      clearSessionCookie(app.ctx, reply)
      seeOther(reply, '/')
      return
    }
    app.csrfProtection(req, reply, done)
  })

  app.setErrorHandler(async (err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.status === 401) return seeOther(reply, loginPath(returnPath(req)))
      // A garbled id in a page's address (`/posts/abc`, `/posts/007`) is no page the site makes: 404, as the
      // params schema's own failures below, not the API's words for a bad request.
      if (
        err.code === 'VALIDATION_FAILED' &&
        err.errors?.length &&
        err.errors.every((e) => e.path.startsWith('params.'))
      )
        return errorPage(req, reply, 404)
      if (err.headers) reply.headers(err.headers)
      return errorPage(req, reply, err.status, err.status < 500 ? err.message : undefined)
    }
    if (err.code?.startsWith('FST_CSRF_')) return refusedForm(req, reply)
    if (multipartMalformed(err)) {
      return errorPage(
        req,
        reply,
        400,
        'The upload did not arrive whole. Choose the file again and send it once more.',
      )
    }
    if (dataException(err)) {
      // A value the forms' checks let through but the database refused: the visitor's mistake, as in the API.
      req.log.info({ query: queryFailure(err) }, 'form value refused by the database')
      return errorPage(req, reply, 400)
    }
    if (databaseUnavailable(err)) {
      // As in the API: a page is read once more on a fresh connection; a form, or a database still out of
      // reach, is a 503 to retry, not a fault of the page.
      const again = await retryAfterLostConnection(app, req, reply)
      if (again) return again
      req.log.warn({ query: queryFailure(err), reason: failureName(err) }, 'database unavailable')
      reply.header('retry-after', RETRY_AFTER_SECONDS)
      return errorPage(
        req,
        reply,
        503,
        'Our database cannot be reached. If you sent a form, check whether your change was saved before sending it again.',
      )
    }
    const status = err.validation ? (err.validationContext === 'params' ? 404 : 400) : (err.statusCode ?? 500)
    if (status >= 500) req.log.error({ err }, 'page failed')
    return errorPage(req, reply, status)
  })

  app.get('/assets/:file', { schema: { hide: true } }, async (req, reply) => {
    const asset = assetsByUrl.get(req.url.split('?')[0] ?? '')
    if (!asset) return errorPage(req, reply, 404)
    const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')
    reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('vary', 'Accept-Encoding')
    if (gzip) reply.header('content-encoding', 'gzip')
    return reply.send(gzip ? asset.gzip : asset.body)
  })

  await app.register(authPages)
  await app.register(eventPages)
  await app.register(reservePages)
  await app.register(waitlistPages)
  await app.register(checkoutPages)
  await app.register(extendHoldPages)
  await app.register(invoicePages)
  await app.register(ticketPages)
  await app.register(organizerEventPages)
  await app.register(salesPages)
  await app.register(staffPages)
  await app.register(checkInPages)
  await app.register(webhookPages)
  await app.register(organizerVoucherPages)
  await app.register(socialPages)
  await app.register(postEditPages)
  await app.register(messagePages)
  await app.register(settingsPages)
  await app.register(adminPages)
}

export default fp(
  async (app) => {
    app.decorate('notFoundPage', (req: FastifyRequest, reply: FastifyReply) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
      return sendHtml(req, reply, ErrorPage({ ctx: anonymousCtx(req), status: 404 }), 404)
    })
    app.decorate('formOnlyPage', (req: FastifyRequest, reply: FastifyReply) => {
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY)
      const detail =
        'This address is where a form sends what you chose, not a page to open. Go back to the page with the form and use its button.'
      return sendHtml(req, reply, ErrorPage({ ctx: anonymousCtx(req), status: 405, detail }), 405)
    })
    await app.register(pages)
  },
  { name: 'web', dependencies: ['context', 'auth', 'rate-limit', 'errors'] },
)
