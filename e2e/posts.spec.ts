// A member writes a post and comments on it, mends both, then deletes the comment and the post,
// each delete asked once more on its own page (plain links and forms: no script is needed).
import { expect, test } from '@playwright/test'
import { checkA11y, person, register, visit } from './support.js'

test('a member edits and deletes a post and a comment, each delete asked first', async ({ page }) => {
  const dana = person('dana')
  await register(page, dana)

  await visit(page, '/feed')
  await page.getByLabel('Write a post').fill('Who is going to the Friday show?')
  await page.getByRole('button', { name: 'Post', exact: true }).click()
  await expect(page.getByRole('status').first()).toHaveText('Posted.')
  const card = page.locator('article.post', { hasText: 'Who is going to the Friday show?' })
  await card.getByRole('link', { name: /Comments/ }).click()
  await page.getByLabel('Add a comment').fill('Me, with two friends')
  await page.getByRole('button', { name: 'Comment' }).click()
  await expect(page.getByRole('status').first()).toHaveText('Comment added.')

  // The post, mended: a blank text is refused beside the field, then the new words are saved.
  await page.locator('article.post').getByRole('link', { name: 'Edit' }).click()
  await checkA11y(page)
  await page.getByLabel('Text').fill(' ')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.locator('#f-body-error')).toBeVisible()
  await checkA11y(page)
  await page.getByLabel('Text').fill('Who is going to the Saturday show?')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status').first()).toHaveText('Post saved.')
  await expect(page.locator('article.post')).toContainText('Saturday')

  // The comment, mended and then deleted: the question page, "Keep it" first, then the answer.
  const comment = page.locator('#comments li', { hasText: 'Me, with two friends' })
  await comment.getByRole('link', { name: 'Edit' }).click()
  await page.getByLabel('Text').fill('Me, with three friends')
  await page.getByRole('button', { name: 'Save' }).click()
  await expect(page.getByRole('status').first()).toHaveText('Comment saved.')
  await page
    .locator('#comments li', { hasText: 'three friends' })
    .getByRole('link', { name: 'Delete' })
    .click()
  await expect(page.getByRole('heading', { name: 'Delete this comment?' })).toBeVisible()
  await checkA11y(page)
  await page.getByRole('link', { name: 'Keep it' }).click()
  await expect(page.locator('#comments')).toContainText('three friends')
  await page
    .locator('#comments li', { hasText: 'three friends' })
    .getByRole('link', { name: 'Delete' })
    .click()
  await page.getByRole('button', { name: 'Delete the comment' }).click()
  await expect(page.getByRole('status').first()).toHaveText('Comment deleted.')
  await expect(page.locator('#comments')).not.toContainText('three friends')

  // The post: its question says what goes with it.
  await page.locator('article.post').getByRole('link', { name: 'Delete' }).click()
  await expect(page.getByText('It cannot be undone.')).toBeVisible()
  await checkA11y(page)
  await page.getByRole('button', { name: 'Delete the post' }).click()
  await expect(page.getByRole('status').first()).toHaveText('Post deleted.')
  await expect(page.locator('main')).not.toContainText('Saturday show')
})
