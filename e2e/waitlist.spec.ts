// The waiting list in a browser: a member finds an event sold out, joins its waiting list from the event page,
// sees their place there and on /waitlist (on a phone), and leaves. Every page visited is checked with axe.
import { type APIRequestContext, expect, test } from '@playwright/test'
import { checkA11y, expectInSightOnPhone, login, person, visit } from './support.js'

type Person = ReturnType<typeof person> & { id: number; token: string }

async function account(request: APIRequestContext, prefix: string): Promise<Person> {
  const who = person(prefix)
  const res = await request.post('/api/v1/auth/register', {
    data: { email: who.email, username: who.username, password: who.password, display_name: who.name },
  })
  const body = await res.json()
  return { ...who, id: body.user.id, token: body.access_token }
}

const auth = (p: Person) => ({ authorization: `Bearer ${p.token}` })

test('a member joins the waiting list of a sold-out event and leaves it', async ({ page, request }) => {
  const organizer = await account(request, 'org')
  const holder = await account(request, 'hold')
  const member = await account(request, 'wait')
  const created = await (
    await request.post('/api/v1/events', {
      headers: auth(organizer),
      data: {
        title: 'Sold-out quartet',
        venue: 'Small Room',
        starts_at: new Date(Date.now() + 20 * 86_400_000).toISOString(),
        max_tickets_per_user: 1,
        sections: [{ name: 'Front', kind: 'general', price_cents: 2500, capacity: 1 }],
      },
    })
  ).json()
  await request.post(`/api/v1/events/${created.id}/publish`, { headers: auth(organizer) })
  const held = await request.post(`/api/v1/events/${created.id}/reservations`, {
    headers: auth(holder),
    data: { section_id: created.sections[0].id },
  })
  expect(held.status()).toBe(201)

  await login(page, member)
  await visit(page, `/events/${created.id}`)
  const block = page.getByRole('region', { name: 'Waiting list' })
  await expect(block).toBeVisible()
  // Refused: the reason beside the number, in the block (not at the top of the page, out of sight), on a phone.
  await page.setViewportSize({ width: 360, height: 800 })
  await block.getByLabel('Number of tickets').fill('2')
  await block.getByRole('button', { name: 'Join the waiting list' }).click()
  const quantity = block.getByLabel('Number of tickets')
  await expect(quantity).toHaveAccessibleDescription('At most 1 ticket per person for this event')
  await expect(quantity).toHaveValue('2')
  await expect(block.getByText('At most 1 ticket per person for this event')).toBeInViewport()
  await checkA11y(page)
  await page.setViewportSize({ width: 1280, height: 800 })
  await block.getByLabel('Number of tickets').fill('1')
  await block.getByRole('button', { name: 'Join the waiting list' }).click()
  await expect(page.getByRole('status').first()).toContainText('You are on the waiting list: number 1.')
  await expect(block).toContainText('Front: you are number 1 in the queue for 1 ticket')
  await checkA11y(page)

  // On a phone the entry is a card, its Leave button in sight.
  await page.setViewportSize({ width: 360, height: 800 })
  await visit(page, '/waitlist')
  await expect(page.getByRole('row', { name: /Sold-out quartet/ })).toContainText('Waiting: number 1')
  await expectInSightOnPhone(page, [/^Leave the waiting list for Sold-out quartet, Front$/])
  await page.getByRole('button', { name: 'Leave the waiting list for Sold-out quartet, Front' }).click()
  await expect(page.getByRole('status').first()).toContainText('You left the waiting list.')
  await expect(page.getByRole('row', { name: /Sold-out quartet/ })).toContainText('Left')
  await checkA11y(page)
})
