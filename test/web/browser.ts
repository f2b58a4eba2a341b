// A browser over app.inject(): keeps cookies, reads CSRF tokens from the forms it gets, posts forms. Page tests
// sign in with it the way a person does (the login form), so the cookie session is the real one.
import type { LightMyRequestResponse } from 'fastify'
import type { App, TestUser } from '../helpers.js'

export class Browser {
  readonly cookies = new Map<string, string>()
  /** The CSRF token of the last page that had a form. */
  csrf: string | undefined

  /** `remoteAddress`: the client IP the app sees (rate-limit tests give each run its own). */
  constructor(
    readonly app: App,
    readonly remoteAddress?: string,
  ) {}

  private remember(res: LightMyRequestResponse) {
    for (const c of res.cookies) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now())
      if (expired || c.value === '') this.cookies.delete(c.name)
      else this.cookies.set(c.name, c.value)
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)
    if (token?.[1]) this.csrf = token[1]
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {}
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({
      method: 'GET',
      url,
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}),
      headers: { accept: 'text/html', ...this.cookieHeader(), ...headers },
    })
    this.remember(res)
    return res
  }

  /** Posts a form, with the CSRF token of the last page unless `_csrf` is given (null: none at all). */
  async post(
    url: string,
    fields: Record<string, string | string[] | null> = {},
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const form = new URLSearchParams()
    const withToken = '_csrf' in fields ? fields : { _csrf: this.csrf ?? '', ...fields }
    for (const [k, v] of Object.entries(withToken)) {
      if (v === null) continue
      for (const one of [v].flat()) form.append(k, one)
    }
    const res = await this.app.inject({
      method: 'POST',
      url,
      ...(this.remoteAddress ? { remoteAddress: this.remoteAddress } : {}),
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
        ...this.cookieHeader(),
        ...headers,
      },
      payload: form.toString(),
    })
    this.remember(res)
    return res
  }

  /** Signs in through the login form. */
  async login(who: { email: string; password: string }): Promise<LightMyRequestResponse> {
    await this.get('/login')
    const res = await this.post('/login', { email: who.email, password: who.password })
    if (res.statusCode !== 303) throw new Error(`page login failed: ${res.statusCode}`)
    return res
  }
}

/** A browser signed in as `user`. */
export async function browserFor(app: App, user: TestUser): Promise<Browser> {
  const browser = new Browser(app)
  await browser.login(user)
  // A page with the nav's logout form, so a CSRF token is at hand.
  await browser.get('/')
  return browser
}

/**
 * Asserts a form refused because its confirmation box (`id`) was not ticked: the page again (422), `message` at
 * its top and under the box, tied to it (aria-invalid, aria-describedby).
 */
export function expectUnconfirmed(res: LightMyRequestResponse, id: string, message: string): void {
  if (res.statusCode !== 422) throw new Error(`expected 422, got ${res.statusCode}`)
  const box = new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(res.body)?.[0] ?? ''
  if (!box.includes('aria-invalid="true"') || !box.includes(`aria-describedby="${id}-error"`))
    throw new Error(`the box ${id} is not marked invalid: ${box || 'not found'}`)
  if (!res.body.includes(`<small id="${id}-error" class="field-error">${message}</small>`))
    throw new Error(`no "${message}" under the box ${id}`)
  if (!res.body.includes('role="alert"')) throw new Error('nothing said at the top of the page')
}
