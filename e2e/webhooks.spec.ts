// Webhook journey: an organizer adds a webhook in the browser (its secret shown once), a sale writes a
// delivery, and the delivery log offers Redeliver; then the webhook is deactivated. Every page is checked with axe.
import { expect, test } from '@playwright/test'
import { checkA11y, expectInSightOnPhone, login, person, visit } from './support.js'

test('webhooks: an organizer adds a webhook, sees a delivery and sends it again', async ({
  page,
  request,
}) => {
  const organizer = person('hooks')
  const registered = await (
    await request.post('/api/v1/auth/register', {
      data: { email: organizer.email, username: organizer.username, password: organizer.password },
    })
  ).json()
  const token = { authorization: `Bearer ${registered.access_token}` }
  await login(page, organizer)
  await visit(page, '/organizer/events')
  await page.getByRole('link', { name: 'Webhooks' }).click()
  await checkA11y(page)
  await page.getByLabel('URL').fill('https://93.184.215.14/stagedoor')
  await page.getByRole('checkbox', { name: /ticket\.confirmed/ }).check()
  await page.getByRole('button', { name: 'Add webhook' }).click()
  await expect(page.getByRole('heading', { name: /its signing secret/ })).toBeVisible()
  await expect(page.locator('#webhook-secret')).toContainText('whsec_')
  await checkA11y(page)

  // A sale of one of the organizer's events: one ticket.confirmed delivery.
  const created = await (
    await request.post('/api/v1/events', {
      headers: token,
      data: {
        title: 'Webhook night',
        venue: 'Town Hall',
        starts_at: '2030-06-01T19:00:00.000Z',
        sections: [{ name: 'Floor', price_cents: 1000, capacity: 5 }],
      },
    })
  ).json()
  await request.post(`/api/v1/events/${created.id}/publish`, { headers: token })
  const reserved = await (
    await request.post(`/api/v1/events/${created.id}/reservations`, {
      headers: token,
      data: { section_id: created.sections[0].id },
    })
  ).json()
  await request.post(`/api/v1/invoices/${reserved.invoices[0].id}/pay`, {
    headers: token,
    data: { payment_method: 'test_ok' },
  })

  // On a phone the webhook and its deliveries are cards, Redeliver in sight.
  await page.setViewportSize({ width: 360, height: 800 })
  await expectInSightOnPhone(page, [/^https:\/\/93\.184\.215\.14\/stagedoor$/])
  await page.getByRole('link', { name: 'Open the webhook' }).click()
  await expect(page.getByRole('rowheader', { name: 'ticket.confirmed' })).toBeVisible()
  await expectInSightOnPhone(page, [/^Redeliver ticket\.confirmed/])
  await checkA11y(page)
  await page.setViewportSize({ width: 1280, height: 900 })
  await page.getByRole('button', { name: /Redeliver ticket\.confirmed/ }).click()
  await expect(page.getByRole('status').first()).toContainText('Sent again')
  await checkA11y(page)
  await page.getByRole('button', { name: 'Deactivate' }).click()
  await expect(page.getByRole('status').first()).toContainText('Webhook deactivated')
  await expect(page.getByRole('button', { name: 'Reactivate' })).toBeVisible()
  await checkA11y(page)
})
