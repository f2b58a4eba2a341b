// Check-in journey: an organizer names a door staff member on the event's staff page; the holder's ticket page
// shows its QR; the staff member checks the ticket in by typing its code, then sees the second try refused.
// Every page visited is checked with axe.
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type APIRequestContext, chromium, expect, test } from '@playwright/test'
import QRCode from 'qrcode'
import sharp from 'sharp'
import { checkA11y, expectNoSideways, login, person, visit } from './support.js'

type Person = ReturnType<typeof person> & { id: number; token: string }

async function account(request: APIRequestContext, prefix: string, name: string): Promise<Person> {
  const who = { ...person(prefix), name }
  const res = await request.post('/api/v1/auth/register', {
    data: { email: who.email, username: who.username, password: who.password, display_name: name },
  })
  const body = await res.json()
  return { ...who, id: body.user.id, token: body.access_token }
}

const auth = (p: Person) => ({ authorization: `Bearer ${p.token}` })

/** A published event with one general section, and one confirmed ticket of it bought by `holder`. */
async function eventWithTicket(request: APIRequestContext, organizer: Person, holder: Person, title: string) {
  const event = await (
    await request.post('/api/v1/events', {
      headers: auth(organizer),
      data: {
        title,
        venue: 'Harbour Hall',
        starts_at: new Date(Date.now() + 10 * 86_400_000).toISOString(),
        sections: [{ name: 'Standing', kind: 'general', price_cents: 2000, capacity: 50 }],
      },
    })
  ).json()
  await request.post(`/api/v1/events/${event.id}/publish`, { headers: auth(organizer) })
  const reservation = await (
    await request.post(`/api/v1/events/${event.id}/reservations`, {
      headers: auth(holder),
      data: { section_id: event.sections[0].id },
    })
  ).json()
  await request.post(`/api/v1/invoices/${reservation.invoices[0].id}/pay`, {
    headers: auth(holder),
    data: { payment_method: 'test_ok' },
  })
  return { eventId: event.id as number, ticketId: reservation.tickets[0].id as number }
}

test('check-in: the organizer adds staff, who checks a ticket in by its code', async ({
  browser,
  request,
}) => {
  const organizer = await account(request, 'org', 'Door Night Org')
  const holder = await account(request, 'hold', 'Hugo Holder')
  const staff = await account(request, 'staff', 'Stella Staff')

  const { eventId, ticketId } = await eventWithTicket(request, organizer, holder, 'Door night')
  const event = { id: eventId }

  // The organizer names the staff member from the event's own page.
  const orgCtx = await browser.newContext()
  const orgPage = await orgCtx.newPage()
  await login(orgPage, organizer)
  await visit(orgPage, `/organizer/events/${event.id}`)
  await orgPage.getByRole('link', { name: 'Staff', exact: true }).click()
  await checkA11y(orgPage)
  await orgPage.getByLabel('Username').fill(staff.username)
  await orgPage.getByRole('button', { name: 'Add to the staff' }).click()
  await expect(orgPage.getByRole('status').first()).toContainText('Stella Staff is now staff of this event.')
  await expect(orgPage.getByText(`Stella Staff (@${staff.username})`)).toBeVisible()
  await checkA11y(orgPage)
  await orgCtx.close()

  // The holder's ticket page shows the QR image and the code under it.
  const holderCtx = await browser.newContext()
  const holderPage = await holderCtx.newPage()
  await login(holderPage, holder)
  await visit(holderPage, `/tickets/${ticketId}`)
  const qr = holderPage.getByRole('img', { name: /Entry QR code for Door night/ })
  await expect(qr).toBeVisible()
  expect(
    await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
  ).toBeGreaterThan(0)
  const code = (await holderPage.locator('.ticket-qr code').textContent())!.trim()
  expect(code).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
  await holderCtx.close()

  // The staff member types the code at the door.
  const staffCtx = await browser.newContext()
  const staffPage = await staffCtx.newPage()
  await login(staffPage, staff)
  await visit(staffPage, '/check-in')
  await staffPage.getByRole('link', { name: 'Door night' }).click()
  await expect(staffPage.getByRole('heading', { name: 'Check-in: Door night' })).toBeVisible()
  await expect(staffPage.getByRole('button', { name: 'Scan with the camera' })).toBeVisible()
  await checkA11y(staffPage)
  await staffPage.getByLabel('Ticket code').fill(code)
  await staffPage.getByRole('button', { name: 'Check in' }).click()
  await expect(staffPage.locator('.check-ok')).toHaveText(
    '✓ Checked in: Hugo Holder, Standing, General admission',
  )
  await expect(staffPage.getByRole('heading', { name: 'Checked in: 1 of 1' })).toBeVisible()
  await checkA11y(staffPage)
  // At the door, on a phone: the latest check-ins fit the screen.
  await staffPage.setViewportSize({ width: 360, height: 800 })
  await expectNoSideways(staffPage)
  await staffPage.setViewportSize({ width: 1280, height: 900 })
  await staffPage.getByLabel('Ticket code').fill(code)
  await staffPage.getByRole('button', { name: 'Check in' }).click()
  await expect(staffPage.locator('.check-already')).toContainText('Already checked in at')
  await checkA11y(staffPage)
  await staffPage.getByLabel('Ticket code').fill(`${code.slice(0, -2)}xx`)
  await staffPage.getByRole('button', { name: 'Check in' }).click()
  await expect(staffPage.locator('.check-invalid')).toContainText('Not valid')
  await checkA11y(staffPage)
  await staffCtx.close()
})

test('check-in by camera: the scanner reads the QR from the camera and sends the form', async ({
  request,
}) => {
  const organizer = await account(request, 'org', 'Camera Night Org')
  const holder = await account(request, 'hold', 'Cara Holder')
  const { eventId, ticketId } = await eventWithTicket(request, organizer, holder, 'Camera night')
  const ticket = await (await request.get(`/api/v1/tickets/${ticketId}`, { headers: auth(holder) })).json()

  // Chromium's fake camera plays a Motion JPEG file: here, frames of the ticket's QR code on white.
  const qr = await QRCode.toBuffer(ticket.code, { width: 360, margin: 4 })
  const frame = await sharp(qr)
    .extend({ top: 60, bottom: 60, left: 140, right: 140, background: '#ffffff' })
    .jpeg()
    .toBuffer()
  const video = join(tmpdir(), `stagedoor-e2e-qr-${ticketId}.mjpeg`)
  writeFileSync(video, Buffer.concat(Array.from({ length: 10 }, () => frame)))
  const camera = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${video}`,
    ],
  })
  try {
    const context = await camera.newContext({ baseURL: test.info().project.use.baseURL })
    await context.grantPermissions(['camera'])
    const page = await context.newPage()
    await login(page, organizer)
    await visit(page, `/check-in/${eventId}`)
    await page.getByRole('button', { name: 'Scan with the camera' }).click()
    await expect(page.locator('.check-ok')).toHaveText(
      '✓ Checked in: Cara Holder, Standing, General admission',
      {
        timeout: 20_000,
      },
    )
    await checkA11y(page)
  } finally {
    await camera.close()
  }
})
