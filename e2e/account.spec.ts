// Journeys 1 and 4: register and verify the address through the mailed link; reset a forgotten password
// through the mailed link.
import { expect, test } from '@playwright/test'
import { checkA11y, login, mailedLink, person, register, visit } from './support.js'

test('register, then verify the address through the link in the .eml file', async ({ page }) => {
  const since = Date.now() - 1000
  const who = person('verify')
  await register(page, who)
  await visit(page, '/settings')
  await expect(page.getByText(`${who.email} · not confirmed yet`)).toBeVisible()

  const link = await mailedLink(who.email, '/verify-email', since)
  expect(link.startsWith(`http://127.0.0.1:${process.env.E2E_PORT}/`)).toBe(true)
  // The welcome link was mailed moments ago: asking for another says how long to wait.
  await page.getByRole('button', { name: 'Mail me a new confirmation link' }).click()
  // The page opens at its top: the top says what was not done and links to the reason, beside the button.
  await expect(page.getByRole('alert').first()).toContainText('No new link was mailed')
  await page.getByRole('link', { name: /No new link was mailed/ }).click()
  await expect(page.getByRole('alert').nth(1)).toContainText(/ask again in \d+ seconds/)
  await expect(page.getByRole('alert').nth(1)).toBeInViewport()
  await checkA11y(page)
  await visit(page, link)
  await page.getByRole('button', { name: 'Confirm my address' }).click()
  await expect(page.getByRole('status').first()).toContainText('Your e-mail address is confirmed')
  await checkA11y(page)
  await visit(page, '/settings')
  await expect(page.getByText(`${who.email} · confirmed`)).toBeVisible()

  await expect(page.getByRole('button', { name: 'Mail me a new confirmation link' })).toHaveCount(0)

  // The link works once: opened again, it says so, with no button that could only fail.
  await visit(page, link)
  await expect(page.getByRole('alert')).toContainText('expired or was already used')
  await expect(page.getByText('Your address is confirmed already')).toBeVisible()
  await expect(page.getByRole('button', { name: 'Confirm my address' })).toHaveCount(0)
  await checkA11y(page)
})

test('a password reset through the mailed link', async ({ page, browser }) => {
  const who = person('reset')
  await register(page, who)
  // Signed in elsewhere too: the reset signs every session out.
  const other = await browser.newContext()
  const otherPage = await other.newPage()
  await login(otherPage, who)

  await page.getByRole('button', { name: 'Log out' }).click()
  await expect(page.getByRole('status').first()).toContainText('You are logged out')
  await visit(page, '/login')
  await page.getByRole('link', { name: 'Forgot your password?' }).click()
  await checkA11y(page)
  const since = Date.now() - 1000
  await page.getByLabel('Email').fill(who.email)
  await page.getByRole('button', { name: 'Send me a link' }).click()
  await expect(page.getByRole('status').first()).toContainText(
    'a link to choose a new password is on its way',
  )
  await checkA11y(page)

  const link = await mailedLink(who.email, '/reset-password', since)
  await visit(page, link)
  // A weak choice is refused beside the field, and the same link still works.
  await page.getByLabel('New password').fill('password')
  await page.getByRole('button', { name: 'Set password' }).click()
  await expect(page.getByLabel('New password')).toHaveAttribute('aria-invalid', 'true')
  await checkA11y(page)
  await page.getByLabel('New password').fill('A-brand-new-pass-77')
  await page.getByRole('button', { name: 'Set password' }).click()
  await expect(page.getByRole('status').first()).toContainText('Your password is changed')
  await checkA11y(page)

  // The other browser was signed out; the old password no longer works, the new one does.
  await otherPage.goto('/settings')
  await expect(otherPage).toHaveURL(/\/login\?next=%2Fsettings/)
  await page.getByLabel('Email or username').fill(who.email)
  await page.getByLabel('Password').fill(who.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page.getByRole('alert')).toContainText('password is wrong')
  await login(page, { email: who.email, password: 'A-brand-new-pass-77' })
  await other.close()

  // The used link, opened again, says so before any password is typed, and leads to a new one.
  await visit(page, link)
  await expect(page.getByRole('alert')).toContainText('expired or was already used')
  await expect(page.getByLabel('New password')).toHaveCount(0)
  await page.getByRole('link', { name: 'Ask for a new link' }).click()
  await expect(page).toHaveURL(/\/forgot-password$/)
})
