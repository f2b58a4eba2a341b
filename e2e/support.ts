/// <reference lib="dom" />
// What the journeys share: an accessibility check on every page they land on, the mailed links (.eml files in
// the server's DATA_DIR/mail), and unique people.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { AxeBuilder } from '@axe-core/playwright'
import { expect, type Page } from '@playwright/test'
import { parseMail } from '../test/mail/inbox.js'

/** Fails on any serious or critical axe-core violation of the page as it is now. */
export async function checkA11y(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'])
    .analyze()
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
  const summary = bad.map(
    (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  )
  expect(summary, `axe violations on ${page.url()}`).toEqual([])
}

/** Neither the page nor any of its tables scrolls sideways. */
export async function expectNoSideways(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => ({
    page: document.documentElement.scrollWidth - window.innerWidth,
    tables: Array.from(document.querySelectorAll('.table-wrap'), (w) => w.scrollWidth - w.clientWidth),
  }))
  expect(overflow, page.url()).toEqual({ page: 0, tables: overflow.tables.map(() => 0) })
}

/**
 * On a phone (360 px wide): the page and its tables do not scroll sideways, and each named button or link is in
 * sight, not past the right edge. The record tables (table.stack) become cards for this.
 */
export async function expectInSightOnPhone(page: Page, controls: RegExp[]): Promise<void> {
  const { width } = page.viewportSize() ?? { width: 0 }
  expect(width).toBe(360)
  await expectNoSideways(page)
  for (const name of controls) {
    const control = page.getByRole('button', { name }).or(page.getByRole('link', { name })).first()
    const box = await control.boundingBox()
    expect(box, String(name)).not.toBeNull()
    expect(box!.x + box!.width, String(name)).toBeLessThanOrEqual(width)
  }
}

/** Goes to `path` and checks the page. */
export async function visit(page: Page, path: string): Promise<void> {
  await page.goto(path)
  await checkA11y(page)
}

/** The link to `path` (e.g. /verify-email) in the newest mail to `address`, waiting for the mail worker. */
export async function mailedLink(address: string, path: string, since: number): Promise<string> {
  const dir = join(process.env.E2E_DATA_DIR!, 'mail')
  const pattern = new RegExp(`https?://[^\\s"<>]+${path.replace(/[/.]/g, '\\$&')}\\?token=[A-Za-z0-9_-]+`)
  const deadline = Date.now() + 30_000
  for (;;) {
    let files: string[] = []
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.eml'))
    } catch {}
    for (const file of files) {
      const full = join(dir, file)
      if (statSync(full).mtimeMs < since) continue
      const raw = readFileSync(full, 'utf8')
      if (!raw.toLowerCase().includes(address.toLowerCase())) continue
      const link = pattern.exec(parseMail(raw).text)?.[0]
      if (link) return link
    }
    if (Date.now() > deadline) throw new Error(`no mail to ${address} with a ${path} link`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

let n = 0
export function person(prefix: string) {
  const username = `${prefix}${Date.now().toString(36)}${++n}`.slice(0, 30)
  return {
    username,
    email: `${username}@example.com`,
    password: 'Journey-pass-2026',
    name: `${prefix} Tester`,
  }
}

/** Registers through the form and lands on the home page, signed in. */
export async function register(page: Page, who: ReturnType<typeof person>): Promise<void> {
  await visit(page, '/register')
  await page.getByLabel('Email').fill(who.email)
  await page.getByLabel('Username').fill(who.username)
  await page.getByLabel('Display name (optional)').fill(who.name)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Create account' }).click()
  await expect(page.getByRole('status').first()).toContainText('Welcome to Stagedoor')
  await checkA11y(page)
}

export async function login(page: Page, who: { email: string; password: string }): Promise<void> {
  await visit(page, '/login')
  await page.getByLabel('Email or username').fill(who.email)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible()
}
