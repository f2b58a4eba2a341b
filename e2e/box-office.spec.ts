// Box-office journeys: two friends buy seats together and each pays their own invoice (with JavaScript and
// without), and an organizer creates, publishes and cancels an event after seeing its sales chart. Every page
// visited is checked with axe; the checkout, tickets and sales pages are saved at 360 px and desktop width.
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type APIRequestContext, type Browser, expect, type Page, test } from '@playwright/test'
import { checkA11y, expectInSightOnPhone, login, person, visit } from './support.js'

// To the run's output folder, or with UPDATE_SCREENSHOTS=1 to docs/screenshots/, as screenshots.spec.ts does.
const shots = process.env.UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', 'docs', 'screenshots')
  : join(tmpdir(), 'stagedoor-e2e-results', 'screenshots')
const WIDTHS = [
  ['360', 360, 800],
  ['desktop', 1280, 900],
] as const

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

async function befriend(request: APIRequestContext, a: Person, b: Person) {
  const asked = await (
    await request.post('/api/v1/users/me/friend-requests', { headers: auth(a), data: { user_id: b.id } })
  ).json()
  await request.post(`/api/v1/friend-requests/${asked.id}/accept`, { headers: auth(b) })
}

async function seatedEvent(request: APIRequestContext, organizer: Person, title: string): Promise<number> {
  const created = await (
    await request.post('/api/v1/events', {
      headers: auth(organizer),
      data: {
        title,
        venue: 'Harbour Hall, Pier 3',
        description: 'An evening of music.',
        starts_at: new Date(Date.now() + 20 * 86_400_000).toISOString(),
        sections: [
          { name: 'Standing', kind: 'general', price_cents: 3500, capacity: 100 },
          { name: 'Balcony', kind: 'seated', price_cents: 6500, rows: 3, seats_per_row: 6 },
        ],
      },
    })
  ).json()
  await request.post(`/api/v1/events/${created.id}/publish`, { headers: auth(organizer) })
  return created.id
}

async function shoot(page: Page, name: string) {
  for (const [label, width, height] of WIDTHS) {
    await page.setViewportSize({ width, height })
    await checkA11y(page)
    await page.screenshot({ path: join(shots, `${name}-${label}.png`), fullPage: true })
  }
  await page.setViewportSize({ width: 1280, height: 900 })
}

/** Journey 2/3: booker reserves 2 balcony seats together for a friend and themselves, each pays their own. */
async function buyTogether(browser: Browser, request: APIRequestContext, javaScriptEnabled: boolean) {
  const tag = javaScriptEnabled ? 'js' : 'nojs'
  const organizer = await account(request, 'org', 'Harbour Arts Trust')
  const booker = await account(request, 'booker', 'Bea Booker')
  const friend = await account(request, 'friend', 'Finn Friend')
  await befriend(request, booker, friend)
  const eventId = await seatedEvent(request, organizer, `Balcony night (${tag})`)

  // axe runs as a script in the page: with JavaScript off it cannot, so that run checks the same pages'
  // behaviour only (journey 2 checks them with axe).
  const check = javaScriptEnabled ? checkA11y : async (_page: Page) => {}
  const go = async (p: Page, path: string) => {
    await p.goto(path)
    await check(p)
  }
  const signIn = async (p: Page, who: Person) => {
    if (javaScriptEnabled) return login(p, who)
    await p.goto('/login')
    await p.getByLabel('Email or username').fill(who.email)
    await p.getByLabel('Password').fill(who.password)
    await p.getByRole('button', { name: 'Log in' }).click()
    await expect(p.getByRole('button', { name: 'Log out' })).toBeVisible()
  }
  const bookerCtx = await browser.newContext({ javaScriptEnabled })
  const page = await bookerCtx.newPage()
  await signIn(page, booker)
  await go(page, `/events/${eventId}`)
  await page.getByRole('radio', { name: /Balcony/ }).check()
  await page.getByLabel('Number of tickets').fill('2')
  await page.getByRole('checkbox', { name: 'Seats together (best row first)' }).check()
  await page.getByRole('checkbox', { name: /Finn Friend/ }).check()
  await page.getByRole('checkbox', { name: 'Each pays their own ticket' }).check()
  await page.getByRole('button', { name: 'Reserve' }).click()
  await expect(page).toHaveURL(/\/reservations\/\d+$/)
  await expect(page.getByRole('heading', { name: 'Checkout' })).toBeVisible()
  await expect(page.getByText('Waiting for Finn Friend to pay.')).toBeVisible()
  await expect(page.getByRole('cell', { name: /Row A, seat/ }).first()).toBeVisible()
  if (javaScriptEnabled) await expect(page.locator('#hold-remaining')).toContainText('left')
  await check(page)
  if (javaScriptEnabled) await shoot(page, 'checkout')
  const checkoutUrl = page.url()

  await page.getByRole('radio', { name: 'Test card that is accepted' }).check()
  await page.getByRole('button', { name: 'Pay A$65.00' }).click()
  await expect(page).toHaveURL(checkoutUrl)
  await expect(page.getByRole('status').first()).toContainText('Payment received')
  await check(page)

  // The friend pays their own invoice from their invoices.
  const friendCtx = await browser.newContext({ javaScriptEnabled })
  const friendPage = await friendCtx.newPage()
  await signIn(friendPage, friend)
  await go(friendPage, '/invoices')
  await friendPage.setViewportSize({ width: 360, height: 800 })
  await expectInSightOnPhone(friendPage, [/^INV-/])
  await friendPage.setViewportSize({ width: 1280, height: 900 })
  await friendPage.getByRole('link', { name: /^INV-/ }).first().click()
  await check(friendPage)
  await friendPage.getByRole('button', { name: 'Pay A$65.00' }).click()
  await expect(friendPage.getByRole('status').first()).toContainText('Payment received')
  await go(friendPage, '/tickets')
  await expect(friendPage.getByText('Booked for you by Bea Booker')).toBeVisible()
  await expect(friendPage.getByText('Confirmed')).toBeVisible()

  // Both paid: the checkout sends the booker to their tickets, where both show as confirmed.
  await page.goto(checkoutUrl)
  await expect(page).toHaveURL(/\/tickets$/)
  await check(page)
  await expect(page.getByText('Confirmed')).toHaveCount(2)
  await expect(page.getByText('For Finn Friend')).toBeVisible()
  if (javaScriptEnabled) await shoot(page, 'tickets')
  await page
    .getByRole('link', { name: `Balcony night (${tag})` })
    .first()
    .click()
  await check(page)
  await expect(page.getByRole('heading', { name: 'Entry code' })).toBeVisible()
  if (javaScriptEnabled) await shoot(page, 'ticket')
  await bookerCtx.close()
  await friendCtx.close()
}

test('journey 2: seats together for a friend and me, each paying their own', async ({ browser, request }) => {
  await buyTogether(browser, request, true)
})

test('journey 3: the same purchase with JavaScript disabled', async ({ browser, request }) => {
  await buyTogether(browser, request, false)
})

test('journey 5: an organizer creates, publishes and cancels an event, and sees the sales chart', async ({
  page,
  request,
}) => {
  const organizer = await account(request, 'host', 'Olga Organizer')
  const buyer = await account(request, 'fan', 'Fay Fan')
  await login(page, organizer)
  await visit(page, '/organizer/events')
  await page.getByRole('link', { name: 'New event' }).click()
  await checkA11y(page)
  await page.getByLabel('Title').fill('Rooftop Sessions')
  await page.getByLabel('Venue').fill('The Roof, Level 9')
  await page.getByLabel('Starts').fill('2030-03-14T20:00')
  await page.getByLabel('Time zone').selectOption('Europe/Berlin')
  await page.getByLabel('Description').fill('Four bands under the sky.')
  await page.getByLabel('Section name').fill('Rooftop')
  await page.getByLabel('Price').fill('25.00')
  await page.getByLabel('Capacity (general admission)').fill('120')
  await page.getByRole('button', { name: 'Create draft' }).click()
  await expect(page.getByRole('status').first()).toContainText('Draft created')
  await checkA11y(page)
  await page.getByRole('button', { name: 'Publish' }).click()
  await expect(page.getByRole('status').first()).toContainText('Published')
  await checkA11y(page)
  // On a phone each section is a card, its Edit link in sight.
  await page.setViewportSize({ width: 360, height: 800 })
  await expectInSightOnPhone(page, [/^Edit Rooftop$/])
  await page.setViewportSize({ width: 1280, height: 900 })
  const eventId = Number(/\/organizer\/events\/(\d+)/.exec(page.url())?.[1])
  // The start was typed on Berlin's clock: 20:00 there is 19:00 UTC in March (CET).
  expect((await (await request.get(`/api/v1/events/${eventId}`)).json()).starts_at).toBe(
    '2030-03-14T19:00:00.000Z',
  )
  await expect(page.getByLabel('Starts')).toHaveValue('2030-03-14T20:00')

  // A sale, so the chart has something to draw.
  const reserved = await (
    await request.post(`/api/v1/events/${eventId}/reservations`, {
      headers: auth(buyer),
      data: {
        section_id: (await (await request.get(`/api/v1/events/${eventId}`)).json()).sections[0].id,
        quantity: 3,
      },
    })
  ).json()
  await request.post(`/api/v1/invoices/${reserved.invoices[0].id}/pay`, {
    headers: auth(buyer),
    data: { payment_method: 'test_ok' },
  })

  await page.getByRole('link', { name: 'Sales' }).click()
  await expect(page.getByRole('heading', { name: 'Sales of Rooftop Sessions' })).toBeVisible()
  await expect(page.getByRole('img', { name: /Tickets sold per day and per section/ })).toBeVisible()
  await expect(page.getByRole('rowheader', { name: 'Fay Fan' })).toBeVisible()
  await checkA11y(page)
  await shoot(page, 'sales')
  // On a phone each section's figures are a card, its counts' links in sight; so is each of my events.
  await page.setViewportSize({ width: 360, height: 800 })
  await expectInSightOnPhone(page, [/^3 sold in Rooftop/, /^3 sold in all sections/])
  await visit(page, '/organizer/events')
  await expectInSightOnPhone(page, [/^Sales of Rooftop Sessions$/])
  await page.goto(`/organizer/events/${eventId}/sales`)
  await page.setViewportSize({ width: 1280, height: 900 })

  await page.getByRole('link', { name: 'Edit the event' }).click()
  await page.getByRole('checkbox', { name: /Yes, cancel this event/ }).check()
  await page.getByRole('button', { name: 'Cancel the event' }).click()
  await expect(page.getByRole('status').first()).toContainText('The event is cancelled')
  await checkA11y(page)
  await visit(page, `/events/${eventId}`)
  await expect(page.getByText('Cancelled').first()).toBeVisible()
})

test('the seat map: two seats picked by clicking and with the keyboard, then the hold extended', async ({
  page,
  request,
}) => {
  const organizer = await account(request, 'mapper', 'Map Hall')
  const booker = await account(request, 'seater', 'Sam Seater')
  const eventId = await seatedEvent(request, organizer, 'Seat map night')
  await login(page, booker)
  await visit(page, `/events/${eventId}`)
  const map = page.locator('fieldset.seat-map.enhanced')
  await expect(map).toBeVisible()
  await expect(map.locator('.seat-summary')).toContainText('No seat chosen')
  // Another section chosen unticks the seats picked here: they would not be part of the order.
  await map.getByText('A1', { exact: true }).click()
  await expect(map.locator('.seat-summary')).toHaveText('1 seat chosen: A1')
  await page.getByRole('radio', { name: /Standing/ }).check()
  await expect(page.getByRole('checkbox', { name: /Row A, seat 1,/ })).not.toBeChecked()
  await expect(map.locator('.seat-summary')).toContainText('No seat chosen')
  // A click on a seat chooses it, and its section.
  await map.getByText('B3', { exact: true }).click()
  await expect(page.getByRole('radio', { name: /Balcony/ })).toBeChecked()
  // The arrow key moves to the next seat of the row; space ticks it.
  await page.getByRole('checkbox', { name: /Row B, seat 3,/ }).focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('checkbox', { name: /Row B, seat 4,/ })).toBeFocused()
  await page.keyboard.press('Space')
  await expect(map.locator('.seat-summary')).toHaveText('2 seats chosen: B3, B4')
  await expect(page.getByLabel('Number of tickets')).toHaveValue('2')
  await checkA11y(page)
  await page.getByRole('button', { name: 'Reserve' }).click()
  await expect(page).toHaveURL(/\/reservations\/\d+$/)
  await expect(page.getByRole('cell', { name: 'Balcony · Row B, seat 3' })).toBeVisible()
  await expect(page.getByRole('cell', { name: 'Balcony · Row B, seat 4' })).toBeVisible()

  // More time: one extension, then the offer is gone.
  await page.getByRole('button', { name: 'Extend my hold' }).click()
  await expect(page.getByRole('status').first()).toContainText('Your hold is extended')
  await expect(page.getByRole('button', { name: 'Extend my hold' })).toHaveCount(0)
  await checkA11y(page)
})

test('a guest picks seats on the map, logs in, and finds them chosen, held only once Reserve is pressed', async ({
  page,
  request,
}) => {
  const organizer = await account(request, 'guesthall', 'Guest Hall')
  const buyer = await account(request, 'guest', 'Gail Guest')
  const eventId = await seatedEvent(request, organizer, 'Guest seat night')
  await visit(page, `/events/${eventId}`)
  const map = page.locator('fieldset.seat-map.enhanced')
  await map.getByText('B3', { exact: true }).click()
  await map.getByText('B4', { exact: true }).click()
  await expect(map.locator('.seat-summary')).toHaveText('2 seats chosen: B3, B4')
  await page.getByRole('button', { name: 'Log in to reserve' }).click()
  await expect(page).toHaveURL(/\/login\?next=/)
  await page.getByLabel('Email or username').fill(buyer.email)
  await page.getByLabel('Password').fill(buyer.password)
  await page.getByRole('button', { name: 'Log in' }).click()
  await expect(page).toHaveURL(new RegExp(`/events/${eventId}\\?.*seat_ids=.*#reserve$`))
  await expect(page.getByText('The choice you made before logging in is filled in below')).toBeVisible()
  await expect(page.getByRole('checkbox', { name: /Row B, seat 3,/ })).toBeChecked()
  await expect(page.getByRole('checkbox', { name: /Row B, seat 4,/ })).toBeChecked()
  await expect(page.getByRole('radio', { name: /Balcony/ })).toBeChecked()
  await checkA11y(page)
  await page.getByRole('button', { name: 'Reserve', exact: true }).click()
  await expect(page).toHaveURL(/\/reservations\/\d+$/)
  await expect(page.getByRole('cell', { name: 'Balcony · Row B, seat 3' })).toBeVisible()
  await expect(page.getByRole('cell', { name: 'Balcony · Row B, seat 4' })).toBeVisible()
})

test('live availability: the event page refreshes a section every 30 s while visible', async ({
  page,
  request,
}) => {
  const organizer = await account(request, 'liver', 'Live Hall')
  const other = await account(request, 'rival', 'Rita Rival')
  const viewer = await account(request, 'viewer', 'Vic Viewer')
  const eventId = await seatedEvent(request, organizer, 'Live availability night')
  await page.clock.install()
  await login(page, viewer)
  await visit(page, `/events/${eventId}`)
  const balcony = page.getByRole('row', { name: /Balcony/ })
  await expect(balcony).toContainText('18 available')
  const sections = (await (await request.get(`/api/v1/events/${eventId}`)).json()).sections
  const res = await request.post(`/api/v1/events/${eventId}/reservations`, {
    headers: auth(other),
    data: { section_id: sections[1].id, quantity: 10 },
  })
  expect(res.status()).toBe(201)
  await page.clock.fastForward(30_000)
  await expect(balcony).toContainText('8 available')
  await expect(page.locator(`label:has(input[name="section_id"][value="${sections[1].id}"])`)).toContainText(
    '8 available',
  )
})

test('with several seated sections, only the chosen section’s map shows, and choosing another shows its own', async ({
  page,
  request,
}) => {
  const organizer = await account(request, 'maps', 'Two Maps Hall')
  const booker = await account(request, 'picker', 'Pia Picker')
  const created = await (
    await request.post('/api/v1/events', {
      headers: auth(organizer),
      data: {
        title: 'Two maps night',
        venue: 'Town Hall',
        starts_at: new Date(Date.now() + 20 * 86_400_000).toISOString(),
        sections: [
          { name: 'Stalls', kind: 'seated', price_cents: 5000, rows: 4, seats_per_row: 8 },
          { name: 'Circle', kind: 'seated', price_cents: 4000, rows: 3, seats_per_row: 8 },
        ],
      },
    })
  ).json()
  await request.post(`/api/v1/events/${created.id}/publish`, { headers: auth(organizer) })
  await login(page, booker)
  await visit(page, `/events/${created.id}`)
  const stalls = page.locator('fieldset.seat-map', { hasText: 'Pick seats in Stalls' })
  const circle = page.locator('fieldset.seat-map', { hasText: 'Pick seats in Circle' })
  await expect(stalls).toBeVisible()
  await expect(circle).toBeHidden()
  await page.getByRole('radio', { name: /Circle/ }).check()
  await expect(circle).toBeVisible()
  await expect(stalls).toBeHidden()
  await circle.getByText('B2', { exact: true }).click()
  await expect(circle.locator('.seat-summary')).toHaveText('1 seat chosen: B2')
  await checkA11y(page)
  await page.getByRole('button', { name: 'Reserve' }).click()
  await expect(page.getByRole('cell', { name: 'Circle · Row B, seat 2' })).toBeVisible()
})
