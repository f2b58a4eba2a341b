// What a newcomer sees: the home page (also with a filter's error) and an event page at 360 px and at desktop
// width, with the accessibility check on each, anonymous and signed in. The PNGs go to the run's output folder, or with UPDATE_SCREENSHOTS=1
// to docs/screenshots/ (the README's).
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type APIRequestContext, expect, test } from '@playwright/test'
import { checkA11y, person, register, visit } from './support.js'

const out = process.env.UPDATE_SCREENSHOTS
  ? join(import.meta.dirname, '..', 'docs', 'screenshots')
  : join(tmpdir(), 'stagedoor-e2e-results', 'screenshots')
const inDays = (d: number, hour = 19) => {
  const at = new Date(Date.now() + d * 86_400_000)
  at.setUTCHours(hour, 30, 0, 0)
  return at.toISOString()
}

async function seedEvents(request: APIRequestContext): Promise<number> {
  const organizer = person('org')
  const res = await request.post('/api/v1/auth/register', {
    data: {
      email: organizer.email,
      username: organizer.username,
      password: organizer.password,
      display_name: 'Harbour Arts Trust',
    },
  })
  const { access_token } = await res.json()
  const headers = { authorization: `Bearer ${access_token}` }
  const specs = [
    {
      title: 'Midnight Jazz at the Harbour',
      venue: 'Harbour Hall, Pier 3',
      description:
        'A late-night set by the Sofia Reyes Quartet, with guests.\n\nDoors open at 19:00; the first set starts at 19:30.',
      starts_at: inDays(9),
      sections: [
        { name: 'Standing', kind: 'general', price_cents: 3500, capacity: 200 },
        { name: 'Balcony', kind: 'seated', price_cents: 6500, rows: 3, seats_per_row: 8 },
      ],
    },
    {
      title: 'Spring Chamber Orchestra',
      venue: 'Town Hall',
      description: 'Haydn, Mozart and a new piece by a local composer.',
      starts_at: inDays(14, 18),
      sections: [{ name: 'Stalls', kind: 'general', price_cents: 4800, capacity: 300 }],
    },
    {
      title: 'Stand-up Night: New Voices',
      venue: 'The Basement Club',
      description: 'Six comics, ten minutes each.',
      starts_at: inDays(4, 20),
      sections: [{ name: 'Tables', kind: 'general', price_cents: 2000, capacity: 40 }],
    },
  ]
  let first = 0
  for (const spec of specs) {
    const created = await (await request.post('/api/v1/events', { headers, data: spec })).json()
    await request.post(`/api/v1/events/${created.id}/publish`, { headers })
    first ||= created.id
  }
  return first
}

test('the home page and an event page, on a phone and on a desktop', async ({ page, request }) => {
  const eventId = await seedEvents(request)
  for (const [label, width, height] of [
    ['360', 360, 800],
    ['desktop', 1280, 900],
  ] as const) {
    await page.setViewportSize({ width, height })
    await visit(page, '/')
    await expect(page.getByRole('heading', { name: 'Upcoming events' })).toBeVisible()
    await page.screenshot({ path: join(out, `home-${label}.png`), fullPage: true })
    // A hand-made link with a day that does not exist: the filter's error beside its field, the rest applied.
    await visit(page, '/?venue=harbour&to=2026-02-30')
    await expect(page.locator('#f-to')).toHaveAccessibleDescription('Enter a real date')
    await expect(page.getByRole('heading', { name: 'Midnight Jazz at the Harbour' })).toBeVisible()
    await expect(page.getByText('Town Hall')).toHaveCount(0)
    await page.screenshot({ path: join(out, `home-filter-error-${label}.png`), fullPage: true })
    await visit(page, `/events/${eventId}`)
    await expect(page.getByRole('heading', { name: 'Midnight Jazz at the Harbour' })).toBeVisible()
    await page.screenshot({ path: join(out, `event-${label}.png`), fullPage: true })
  }
  // Signed in: the reservation form with the seat map.
  await register(page, person('viewer'))
  await visit(page, `/events/${eventId}`)
  await expect(page.getByRole('checkbox', { name: 'Row A, seat 1, available, A$65.00' })).toBeVisible()
  await page.screenshot({ path: join(out, 'event-member-desktop.png'), fullPage: true })
  await page.setViewportSize({ width: 360, height: 800 })
  await checkA11y(page)
  await page.screenshot({ path: join(out, 'event-member-360.png'), fullPage: true })
})
