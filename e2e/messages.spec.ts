// Journey 6: two friends exchange messages; a new message appears without a reload.
import { expect, test } from '@playwright/test'
import { checkA11y, person, register, visit } from './support.js'

test('two friends exchange messages', async ({ browser }) => {
  const ann = person('ann')
  const bob = person('bob')
  const annContext = await browser.newContext()
  const bobContext = await browser.newContext()
  const a = await annContext.newPage()
  const b = await bobContext.newPage()
  await register(a, ann)
  await register(b, bob)

  // Ann finds Bob and asks; Bob accepts on his friends page.
  await visit(a, `/search?q=${bob.username}`)
  await a.getByRole('link', { name: `${bob.name} (@${bob.username})` }).click()
  await checkA11y(a)
  await a.getByRole('button', { name: 'Add friend' }).click()
  await expect(a.getByRole('status')).toHaveText('Friend request sent.')
  await checkA11y(a)
  await visit(b, '/friends')
  await b.getByRole('button', { name: 'Accept' }).click()
  await expect(b.getByRole('status')).toHaveText('You are now friends.')
  await checkA11y(b)

  // Both open the conversation; Ann writes, and Bob sees it without reloading.
  await visit(b, `/messages/${ann.username}`)
  await visit(a, `/users/${bob.username}`)
  await a.getByRole('link', { name: 'Send a message' }).click()
  await checkA11y(a)
  await a.getByLabel('Your message').fill('Hi Bob, coming to the show?')
  await a.getByRole('button', { name: 'Send' }).click()
  await expect(a.locator('#messages')).toContainText('Hi Bob, coming to the show?')
  await expect(b.locator('#messages')).toContainText('Hi Bob, coming to the show?', { timeout: 15_000 })

  await b.getByLabel('Your message').fill('Yes! See you there.')
  await b.getByRole('button', { name: 'Send' }).click()
  await expect(a.locator('#messages')).toContainText('Yes! See you there.', { timeout: 15_000 })
  await checkA11y(a)
  await checkA11y(b)

  // A burst longer than one update (60, where one hands over 50) reaches Bob's open page whole and in order.
  const login = await a.request.post('/api/v1/auth/login', {
    data: { email: ann.email, password: ann.password },
  })
  const token = (await login.json()).access_token as string
  const found = await a.request.get(`/api/v1/users?q=${bob.username}`, {
    headers: { authorization: `Bearer ${token}` },
  })
  const bobId = (await found.json()).data[0].id as number
  for (let i = 0; i < 60; i++) {
    const sent = await a.request.post(`/api/v1/conversations/${bobId}/messages`, {
      headers: { authorization: `Bearer ${token}` },
      data: { body: `Burst ${i}` },
    })
    expect(sent.status()).toBe(201)
  }
  const shown = b.locator('#messages li')
  await expect(shown).toHaveCount(62, { timeout: 15_000 })
  const bodies = await b.locator('#messages li .user-text').allTextContents()
  expect(bodies.slice(2)).toEqual(Array.from({ length: 60 }, (_, i) => `Burst ${i}`))

  // The inbox lists the conversation.
  await visit(a, '/messages')
  await expect(a.getByRole('link', { name: bob.name })).toBeVisible()
  await annContext.close()
  await bobContext.close()
})
