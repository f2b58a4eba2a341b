// The event's "Details" form on /organizer/events/{id}: an emptied required field is an error beside it (as on
// the create form), not a silent "Event saved." that keeps the old value; an emptied description is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertTicket, makeEvent } from '../../factories/events.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { mailJobs } from '../../jobs/helpers.js'
import { type Browser, browserFor, expectUnconfirmed } from '../browser.js'

let app: App
let organizer: TestUser
let browser: Browser
beforeAll(async () => {
  app = await buildTestApp()
  organizer = await registerUser(app)
  browser = await browserFor(app, organizer)
})
afterAll(() => app.close())

const apiEvent = async (id: number) =>
  (await app.inject({ method: 'GET', url: `/api/v1/events/${id}`, headers: organizer.auth })).json()

async function editable() {
  const event = await makeEvent(app, organizer, {
    status: 'draft',
    title: 'Old title',
    venue: 'Old venue',
    description: 'Old description',
  })
  await browser.get(`/organizer/events/${event.id}`)
  const form = {
    title: 'Old title',
    venue: 'Old venue',
    description: 'Old description',
    starts_at: event.starts_at.slice(0, 16),
    currency: event.currency,
  }
  return { id: event.id as number, form }
}

const errorOf = (html: string, field: string) =>
  new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`).exec(html)?.[1]

describe('POST /organizer/events/{id} (the Details form)', () => {
  it('a start brought into the past while tickets are sold: 409, said beside the start, nothing saved', async () => {
    const event = await makeEvent(app, organizer, { title: 'Sold show', venue: 'Hall' })
    await insertTicket(app, { eventId: event.id, sectionId: event.sections[0].id, holderId: organizer.id })
    await browser.get(`/organizer/events/${event.id}`)
    const res = await browser.post(`/organizer/events/${event.id}`, {
      title: 'Sold show',
      venue: 'Hall',
      description: '',
      starts_at: '2020-01-01T20:00',
      timezone: 'UTC',
      currency: event.currency,
    })
    expect(res.statusCode).toBe(409)
    expect(errorOf(res.body, 'starts_at')).toBe(
      'can be brought forward only to at least 24 hours from now while tickets are held or sold',
    )
    expect((await apiEvent(event.id)).starts_at).toBe(event.starts_at)
  })

  it('a new title with the start as shown tells no one; a new venue e-mails the holder, as the form says', async () => {
    const event = await makeEvent(app, organizer, { title: 'Told show', venue: 'Hall', timezone: 'UTC' })
    const holder = await registerUser(app)
    await insertTicket(app, { eventId: event.id, sectionId: event.sections[0].id, holderId: holder.id })
    const page = await browser.get(`/organizer/events/${event.id}`)
    expect(page.body).toContain(
      'A new start or venue is e-mailed to everyone holding a ticket or waiting for one',
    )
    const changes = async () => (await mailJobs(app)).filter((j) => j.kind === 'event-changed').length
    const before = await changes()
    const form = {
      title: 'Told show, renamed',
      venue: 'Hall',
      description: '',
      // The start as the form shows it, to the minute: the instant (with its seconds) is kept.
      starts_at: event.starts_at.slice(0, 16),
      timezone: 'UTC',
      currency: event.currency,
    }
    expect((await browser.post(`/organizer/events/${event.id}`, form)).statusCode).toBe(303)
    expect((await apiEvent(event.id)).starts_at).toBe(event.starts_at)
    expect(await changes()).toBe(before)
    expect((await browser.post(`/organizer/events/${event.id}`, { ...form, venue: 'Barn' })).statusCode).toBe(
      303,
    )
    expect(await changes()).toBe(before + 1)
  })

  it('an emptied title or venue (blank or spaces): 422, "Fill this in" beside it, what was typed kept, nothing saved', async () => {
    const { id, form } = await editable()
    for (const [field, empty] of [
      ['title', ''],
      ['venue', '   '],
      ['starts_at', ''],
    ] as const) {
      const res = await browser.post(`/organizer/events/${id}`, {
        ...form,
        [field]: empty,
        description: 'Typed',
      })
      expect(res.statusCode, field).toBe(422)
      expect(errorOf(res.body, field), field).toBe('Fill this in')
      expect(res.body, field).not.toContain('Event saved.')
      expect(res.body, field).toContain('>Typed</textarea>')
    }
    const both = await browser.post(`/organizer/events/${id}`, { ...form, title: '', venue: '' })
    expect(errorOf(both.body, 'title')).toBe('Fill this in')
    expect(errorOf(both.body, 'venue')).toBe('Fill this in')
    expect(await apiEvent(id)).toMatchObject({
      title: 'Old title',
      venue: 'Old venue',
      description: 'Old description',
    })
  })

  it('an emptied description is removed: 303 "Event saved." and the API says ""', async () => {
    const { id, form } = await editable()
    const res = await browser.post(`/organizer/events/${id}`, { ...form, description: '' })
    expect(res.statusCode).toBe(303)
    expect((await browser.get(`/organizer/events/${id}`)).body).toContain('Event saved.')
    expect((await apiEvent(id)).description).toBe('')
    const again = await browser.post(`/organizer/events/${id}`, { ...form, description: 'Back again' })
    expect(again.statusCode).toBe(303)
    expect((await apiEvent(id)).description).toBe('Back again')
    expect(
      (await browser.post(`/organizer/events/${id}`, { ...form, description: ' \r\n ' })).statusCode,
    ).toBe(303)
    expect((await apiEvent(id)).description).toBe('')
  })

  it('a change to the title is still saved', async () => {
    const { id, form } = await editable()
    expect((await browser.post(`/organizer/events/${id}`, { ...form, title: 'New title' })).statusCode).toBe(
      303,
    )
    expect((await apiEvent(id)).title).toBe('New title')
  })
})

describe('deleting a draft from its page', () => {
  it('asks for the box to be ticked, then deletes the draft and returns to the list; a published event offers no delete', async () => {
    const draft = await makeEvent(app, organizer, { status: 'draft', title: 'Scrapped <idea>' })
    const page = await browser.get(`/organizer/events/${draft.id}`)
    expect(page.body).toContain(`action="/organizer/events/${draft.id}/delete"`)
    // Without the box ticked, nothing is deleted.
    const unticked = await browser.post(`/organizer/events/${draft.id}/delete`)
    expectUnconfirmed(unticked, 'f-delete-confirm', 'Tick the box to confirm the deletion.')
    expect((await apiEvent(draft.id)).id).toBe(draft.id)
    const deleted = await browser.post(`/organizer/events/${draft.id}/delete`, { confirm: 'yes' })
    expect(deleted.statusCode).toBe(303)
    expect(deleted.headers.location).toBe('/organizer/events')
    const list = await browser.get('/organizer/events')
    expect(list.body).toContain('The draft “Scrapped &lt;idea>” is deleted.')
    const gone = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${draft.id}`,
      headers: organizer.auth,
    })
    expect(gone.statusCode).toBe(404)

    // On sale, the page offers to cancel (buyers are told), not to delete; a hand-made post is refused.
    const live = await makeEvent(app, organizer)
    expect((await browser.get(`/organizer/events/${live.id}`)).body).not.toContain(
      `action="/organizer/events/${live.id}/delete"`,
    )
    await browser.post(`/organizer/events/${live.id}/delete`, { confirm: 'yes' })
    expect((await browser.get(`/organizer/events/${live.id}`)).body).toContain(
      'Only a draft can be deleted: cancel a published event instead.',
    )
    expect((await apiEvent(live.id)).status).toBe('published')
    // Someone else's draft is a 404, as every page of it.
    const other = await browserFor(app, await registerUser(app))
    const theirs = await makeEvent(app, organizer, { status: 'draft' })
    await other.get('/organizer/events/new')
    expect((await other.post(`/organizer/events/${theirs.id}/delete`, { confirm: 'yes' })).statusCode).toBe(
      404,
    )
    expect((await apiEvent(theirs.id)).id).toBe(theirs.id)
  })
})
