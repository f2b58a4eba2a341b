// The admin's user list: on a phone each user is a card with its actions in sight (no table scrolled sideways),
// on a desktop a table; a promotion and a deletion through its buttons. Checked with axe at both widths and
// saved as admin-users-360.png and admin-users-desktop.png.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { checkA11y, expectInSightOnPhone, expectNoSideways, login, person, visit } from './support.js'

const shots = process.env.UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', 'docs', 'screenshots')
  : join(tmpdir(), 'stagedoor-e2e-results', 'screenshots')

test('an admin promotes and deletes users, on a phone and on a desktop', async ({ page, request }) => {
  const members = [person('listed'), person('listed'), person('listed')]
  for (const m of members) {
    const res = await request.post('/api/v1/auth/register', {
      data: { email: m.email, username: m.username, password: m.password, display_name: m.name },
    })
    expect(res.status()).toBe(201)
  }
  const [promoted, deleted] = members as [(typeof members)[0], (typeof members)[0]]
  await login(page, { email: process.env.E2E_ADMIN_EMAIL!, password: process.env.E2E_ADMIN_PASSWORD! })

  await page.setViewportSize({ width: 360, height: 800 })
  await visit(page, '/admin/users?q=listed')
  await expectInSightOnPhone(
    page,
    members.flatMap((m) => [new RegExp(`^Make ${m.username} admin$`), new RegExp(`^Delete ${m.username}$`)]),
  )
  // Still a table to assistive technology: its column headers and cells, the e-mail read once.
  await expect(page.getByRole('columnheader', { name: 'E-mail' })).toHaveCount(1)
  await expect(page.getByRole('cell', { name: promoted.email, exact: true })).toBeVisible()
  await page.screenshot({ path: join(shots, 'admin-users-360.png'), fullPage: true })

  await page.getByRole('button', { name: `Make ${promoted.username} admin` }).click()
  await expect(page.getByRole('status').first()).toContainText(`${promoted.username} is now an admin`)
  await checkA11y(page)
  await visit(page, '/admin/users?q=listed')
  await expect(page.getByRole('button', { name: `Demote ${promoted.username}` })).toBeVisible()
  // Deleting asks for a tick first, as cancelling an event does.
  await page.getByLabel(`Yes, delete ${deleted.username} and their posts`).check()
  await page.getByRole('button', { name: `Delete ${deleted.username}` }).click()
  await expect(page.getByRole('status').first()).toContainText('The account is deleted.')
  await visit(page, '/admin/users?q=listed')
  await expect(page.getByRole('button', { name: `Delete ${deleted.username}` })).toHaveCount(0)
  await expect(page.getByRole('button', { name: /^Delete listed/ })).toHaveCount(2)

  await page.setViewportSize({ width: 1280, height: 900 })
  await checkA11y(page)
  await expect(page.getByRole('columnheader', { name: 'E-mail' })).toBeVisible()
  await expectNoSideways(page)
  await page.screenshot({ path: join(shots, 'admin-users-desktop.png'), fullPage: true })
})
