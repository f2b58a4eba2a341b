import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { salesReport } from '../../../src/modules/events/sales.service.js'
import { formatSalesTable } from '../../../src/modules/events/sales.table.js'
import { payAs, reserveAs } from '../../factories/boxoffice.js'
import { insertTicket, makeEvent } from '../../factories/events.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../../helpers.js'
import { Browser, browserFor, expectUnconfirmed } from '../browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app, { display_name: 'Olga Organizer' })
})
afterAll(() => app.close())

const newEventForm = {
  title: 'Organizer made show',
  venue: 'The Annex',
  starts_at: '2030-05-01T19:30',
  currency: 'AUD',
  description: 'Made in the browser.',
  name: 'Stalls',
  kind: 'seated',
  price: '55.50',
  rows: '3',
  seats_per_row: '4',
}

describe('organizer events', () => {
  it('creates a draft, adds and edits sections, publishes and cancels', async () => {
    const browser = await browserFor(app, organizer)
    await browser.get('/organizer/events/new')
    const created = await browser.post('/organizer/events/new', newEventForm)
    expect(created.statusCode).toBe(303)
    const id = Number(String(created.headers.location).split('/').pop())
    const edit = await browser.get(`/organizer/events/${id}`)
    expect(edit.body).toContain('Draft created')
    expect(edit.body).toContain('Stalls (seated, 3 rows × 4)')
    expect(edit.body).toContain('A$55.50')
    expect(edit.body).toContain('value="2030-05-01T19:30"')
    // A draft is nobody else's business.
    expect((await new Browser(app).get(`/events/${id}`)).statusCode).toBe(404)

    const added = await browser.post(`/organizer/events/${id}/sections`, {
      name: 'Standing',
      kind: 'general',
      price: '30',
      capacity: '50',
    })
    expect(added.statusCode).toBe(303)
    const bad = await browser.post(`/organizer/events/${id}/sections`, {
      name: 'Broken',
      price: 'free',
      capacity: '5',
    })
    expect(bad.statusCode).toBe(422)
    expect(bad.body).toContain('id="f-price-error"')
    expect(bad.body).toContain('value="Broken"')

    const page = await browser.get(`/organizer/events/${id}`)
    const standing = Number(/sections\/(\d+)" aria-label="Edit Standing"/.exec(page.body)?.[1])
    const stalls = Number(/sections\/(\d+)" aria-label="Edit Stalls"/.exec(page.body)?.[1])
    // Editing a section asks only for its own kind's size.
    const seatedForm = (await browser.get(`/organizer/events/${id}/sections/${stalls}`)).body
    expect(seatedForm).toContain('name="rows"')
    expect(seatedForm).toContain('name="seats_per_row"')
    expect(seatedForm).not.toContain('name="capacity"')
    const generalForm = (await browser.get(`/organizer/events/${id}/sections/${standing}`)).body
    expect(generalForm).toContain('name="capacity"')
    expect(generalForm).not.toContain('name="rows"')
    expect(
      (
        await browser.post(`/organizer/events/${id}/sections/${standing}`, {
          name: 'Standing',
          price: '32',
          capacity: '60',
        })
      ).statusCode,
    ).toBe(303)
    expect((await browser.get(`/organizer/events/${id}`)).body).toContain('A$32.00')

    const renamed = await browser.post(`/organizer/events/${id}`, { ...newEventForm, title: 'Renamed show' })
    expect(renamed.statusCode).toBe(303)
    const published = await browser.post(`/organizer/events/${id}/publish`)
    expect(published.statusCode).toBe(303)
    expect((await new Browser(app).get(`/events/${id}`)).body).toContain('Renamed show')
    const list = await browser.get('/organizer/events')
    expect(list.body).toContain('Renamed show')
    // The door's page, for the organizer and for staff (who organize nothing), is a link away.
    expect(list.body).toContain('<a href="/check-in">Check-in at the door</a>')

    // Cancelling needs the confirmation box.
    const unticked = await browser.post(`/organizer/events/${id}/cancel`)
    expectUnconfirmed(unticked, 'f-cancel-confirm', 'Tick the box to confirm the cancellation.')
    expect((await new Browser(app).get(`/events/${id}`)).statusCode).toBe(200)
    expect((await browser.post(`/organizer/events/${id}/cancel`, { confirm: 'yes' })).statusCode).toBe(303)
    expect((await browser.get(`/organizer/events/${id}`)).body).toContain('The event is cancelled')
  })

  it('a new event with a blank title and too few rows comes back with each error in words; nothing is made', async () => {
    const browser = await browserFor(app, organizer)
    await browser.get('/organizer/events/new')
    const venue = 'Blank Title Annex'
    const res = await browser.post('/organizer/events/new', {
      ...newEventForm,
      title: '   ',
      venue,
      rows: '0',
    })
    expect(res.statusCode).toBe(422)
    expect(res.body).toMatch(/id="f-title-error"[^>]*>Fill this in</)
    expect(res.body).toMatch(/id="f-rows-error"[^>]*>Enter 1 or more</)
    // Both at the top too, each a link to its field: the rows are far down the form on a phone.
    expect(res.body).toContain('<p>Nothing was saved: 2 fields need a change.</p>')
    expect(res.body).toContain('<a href="#f-title">Title: Fill this in</a>')
    expect(res.body).toContain('<a href="#f-rows">Rows: Enter 1 or more</a>')
    expect(res.body).toContain(`value="${venue}"`)
    expect((await browser.get('/organizer/events')).body).not.toContain(venue)
  })

  it('a section left without its size or with a bad price says so beside each field, with every other error', async () => {
    const browser = await browserFor(app, organizer)
    await browser.get('/organizer/events/new')
    const venue = 'Sizeless Annex'
    const errorOf = (body: string, field: string) =>
      new RegExp(`id="f-${field}-error"[^>]*>([^<]*)<`).exec(body)?.[1] ?? null
    const general = { ...newEventForm, venue, kind: 'general', rows: '', seats_per_row: '', capacity: '' }

    // A general section without a capacity, beside a blank title and a price with three decimals: every error
    // at once (before, the capacity's came only once the rest was right, and then beside no field).
    const all = await browser.post('/organizer/events/new', { ...general, title: ' ', price: '12.345' })
    expect(all.statusCode).toBe(422)
    expect(errorOf(all.body, 'title')).toBe('Fill this in')
    expect(errorOf(all.body, 'capacity')).toBe('Fill this in')
    expect(errorOf(all.body, 'price')).toBe('Use digits, with at most 2 decimals')
    expect(all.body).toContain('value="12.345"')

    // Only the capacity missing.
    const capacity = await browser.post('/organizer/events/new', general)
    expect(capacity.statusCode).toBe(422)
    expect(errorOf(capacity.body, 'capacity')).toBe('Fill this in')
    expect(errorOf(capacity.body, 'title')).toBeNull()
    // A size of spaces is a blank size, not a size of 0 ("Enter 1 or more" before).
    const spaces = await browser.post('/organizer/events/new', { ...general, capacity: '   ' })
    expect(spaces.statusCode).toBe(422)
    expect(errorOf(spaces.body, 'capacity')).toBe('Fill this in')

    // A seated section names its rows and seats per row; a price over the limit says the limit in the currency.
    const seated = await browser.post('/organizer/events/new', {
      ...newEventForm,
      venue,
      seats_per_row: '',
      price: '2000000',
    })
    expect(seated.statusCode).toBe(422)
    expect(errorOf(seated.body, 'seats_per_row')).toBe('Fill this in')
    expect(errorOf(seated.body, 'rows')).toBeNull()
    expect(errorOf(seated.body, 'capacity')).toBeNull()
    expect(errorOf(seated.body, 'price')).toBe('Enter 1000000.00 or less')

    // A currency without a minor unit takes whole amounts; a blank price is a blank field.
    const yen = await browser.post('/organizer/events/new', {
      ...newEventForm,
      venue,
      currency: 'JPY',
      price: '12.5',
    })
    expect(errorOf(yen.body, 'price')).toBe('Use digits only, without decimals')
    const blank = await browser.post('/organizer/events/new', { ...newEventForm, venue, price: '' })
    expect(errorOf(blank.body, 'price')).toBe('Fill this in')
    expect((await browser.get('/organizer/events')).body).not.toContain(venue)

    // The same on an event's add-section form; an edit's blank size keeps the size.
    const event = await makeEvent(app, organizer, { status: 'draft' })
    const added = await browser.post(`/organizer/events/${event.id}/sections`, {
      name: 'Sizeless',
      kind: 'general',
      price: '',
      capacity: '',
    })
    expect(added.statusCode).toBe(422)
    expect(errorOf(added.body, 'capacity')).toBe('Fill this in')
    expect(errorOf(added.body, 'price')).toBe('Fill this in')
    expect(added.body).toContain('value="Sizeless"')
    expect((await browser.get(`/organizer/events/${event.id}`)).body).not.toContain('Sizeless')
    const section = event.sections[0]!
    const edited = await browser.post(`/organizer/events/${event.id}/sections/${section.id}`, {
      name: 'Renamed floor',
      price: '1.5',
      capacity: '',
    })
    expect(edited.statusCode).toBe(303)
    const after = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: organizer.auth,
    })
    const renamed = after.json().sections.find((s: { id: number }) => s.id === section.id)
    expect(renamed).toMatchObject({ name: 'Renamed floor', price_cents: 150, capacity: section.capacity })
    // A size of spaces keeps the size too.
    const spaced = await browser.post(`/organizer/events/${event.id}/sections/${section.id}`, {
      name: 'Renamed floor',
      price: '1.5',
      capacity: '  ',
    })
    expect(spaced.statusCode).toBe(303)
  })

  it('an end at or before the start is named beside the end in words, with every other error; nothing is made', async () => {
    const browser = await browserFor(app, organizer)
    await browser.get('/organizer/events/new')
    const venue = 'Backwards Hall'
    const endOf = (body: string) => /id="f-ends_at-error"[^>]*>([^<]*)</.exec(body)?.[1] ?? null
    const early = { ...newEventForm, venue, ends_at: '2030-05-01T18:00' }
    const made = await browser.post('/organizer/events/new', { ...early, title: '' })
    expect(made.statusCode).toBe(422)
    expect(endOf(made.body)).toBe('Set a time after the start')
    expect(made.body).toMatch(/id="f-title-error"[^>]*>Fill this in</)
    const same = await browser.post('/organizer/events/new', { ...early, ends_at: newEventForm.starts_at })
    expect(endOf(same.body)).toBe('Set a time after the start')
    expect((await browser.get('/organizer/events')).body).not.toContain(venue)

    const event = await makeEvent(app, organizer, { status: 'draft' })
    await browser.get(`/organizer/events/${event.id}`)
    const edit = { ...early, title: event.title, venue: event.venue }
    const changed = await browser.post(`/organizer/events/${event.id}`, edit)
    expect(changed.statusCode).toBe(422)
    expect(endOf(changed.body)).toBe('Set a time after the start')
    const after = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}`,
      headers: organizer.auth,
    })
    expect(after.json()).toMatchObject({ starts_at: event.starts_at, ends_at: event.ends_at })
    const later = await browser.post(`/organizer/events/${event.id}`, {
      ...edit,
      ends_at: '2030-05-01T22:00',
    })
    expect(later.statusCode).toBe(303)
  })

  it('a currency the form cannot take is named beside it at once, with every other error; lower case is read', async () => {
    const browser = await browserFor(app, organizer)
    await browser.get('/organizer/events/new')
    const venue = 'Currency Hall'
    const currencyOf = (body: string) => /id="f-currency-error"[^>]*>([^<]*)</.exec(body)?.[1] ?? null
    for (const currency of ['XYZ', 'ABCD', 'a$']) {
      const res = await browser.post('/organizer/events/new', { ...newEventForm, venue, currency, title: '' })
      expect(res.statusCode, currency).toBe(422)
      expect(currencyOf(res.body), currency).toBe('Use a currency code such as AUD, EUR or USD')
      expect(res.body, currency).toMatch(/id="f-title-error"[^>]*>Fill this in</)
    }
    expect((await browser.get('/organizer/events')).body).not.toContain(venue)
    const made = await browser.post('/organizer/events/new', { ...newEventForm, venue, currency: 'eur' })
    expect(made.statusCode).toBe(303)

    const event = await makeEvent(app, organizer, { status: 'draft' })
    await browser.get(`/organizer/events/${event.id}`)
    const edit = { ...newEventForm, title: event.title, venue: event.venue }
    const changed = await browser.post(`/organizer/events/${event.id}`, { ...edit, currency: 'XYZ' })
    expect(changed.statusCode).toBe(422)
    expect(currencyOf(changed.body)).toBe('Use a currency code such as AUD, EUR or USD')
  })

  it('a limit of 0 tickets per person is refused, not saved as no limit; emptied, the limit is removed', async () => {
    const browser = await browserFor(app, organizer)
    await browser.get('/organizer/events/new')
    const venue = 'Zero Limit Hall'
    const made = await browser.post('/organizer/events/new', {
      ...newEventForm,
      venue,
      max_tickets_per_user: '0',
    })
    expect(made.statusCode).toBe(422)
    expect(made.body).toMatch(/id="f-max_tickets_per_user-error"[^>]*>Enter 1 or more</)
    expect((await browser.get('/organizer/events')).body).not.toContain(venue)

    const event = await makeEvent(app, organizer, { status: 'draft', max_tickets_per_user: 4 })
    await browser.get(`/organizer/events/${event.id}`)
    const edit = { ...newEventForm, title: event.title, venue: event.venue }
    const zero = await browser.post(`/organizer/events/${event.id}`, { ...edit, max_tickets_per_user: '0' })
    expect(zero.statusCode).toBe(422)
    expect(zero.body).toMatch(/id="f-max_tickets_per_user-error"[^>]*>Enter 1 or more</)
    const limitOf = async () =>
      (await app.inject({ method: 'GET', url: `/api/v1/events/${event.id}`, headers: organizer.auth })).json()
        .max_tickets_per_user
    expect(await limitOf()).toBe(4)
    expect(
      (await browser.post(`/organizer/events/${event.id}`, { ...edit, max_tickets_per_user: '' })).statusCode,
    ).toBe(303)
    expect(await limitOf()).toBeNull()
  })

  it('another member gets 404 on someone else’s event pages, drafts included; admins may', async () => {
    const draft = await makeEvent(app, organizer, { title: 'Secret draft', status: 'draft' })
    const live = await makeEvent(app, organizer, { title: 'Live one' })
    const other = await browserFor(app, await registerUser(app))
    for (const url of [
      `/organizer/events/${draft.id}`,
      `/organizer/events/${live.id}`,
      `/organizer/events/${live.id}/sales`,
      `/organizer/events/${live.id}/attendees.csv`,
    ]) {
      expect((await other.get(url)).statusCode, url).toBe(404)
    }
    expect((await other.post(`/organizer/events/${live.id}/cancel`, { confirm: 'yes' })).statusCode).toBe(404)
    // Unticked, the refusal does not show another organizer's event page either.
    expect((await other.post(`/organizer/events/${live.id}/cancel`)).statusCode).toBe(404)
    expect((await other.post(`/organizer/events/${draft.id}/delete`)).statusCode).toBe(404)
    const mine = await other.get('/organizer/events')
    expect(mine.body).not.toContain('Secret draft')
    expect(mine.body).not.toContain('Live one')
    const admin = await browserFor(app, await registerAdmin(app))
    expect((await admin.get(`/organizer/events/${live.id}/sales`)).statusCode).toBe(200)
  })

  it('without the CSRF token a change is refused with 403', async () => {
    const event = await makeEvent(app, organizer, { status: 'draft' })
    const browser = await browserFor(app, organizer)
    expect((await browser.post(`/organizer/events/${event.id}/publish`, { _csrf: null })).statusCode).toBe(
      403,
    )
  })
})

describe('sales page', () => {
  it('shows the per-section table, the SVG chart of sales per day, attendees and the CSV', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Sales show',
      sections: [
        { name: 'Floor', capacity: 10, price_cents: 2000 },
        { name: 'Balcony', capacity: 5, price_cents: 3000 },
      ],
    })
    const buyer = await registerUser(app, { display_name: '=cmd|Buyer' })
    const buyerBrowser = await browserFor(app, buyer)
    await buyerBrowser.get(`/events/${event.id}`)
    const res = await buyerBrowser.post(`/events/${event.id}/reserve`, {
      section_id: String(event.sections[0].id),
      quantity: '2',
    })
    const checkout = await buyerBrowser.get(String(res.headers.location))
    const invoiceId = Number(/action="\/invoices\/(\d+)\/pay"/.exec(checkout.body)?.[1])
    expect(
      (await buyerBrowser.post(`/invoices/${invoiceId}/pay`, { payment_method: 'test_ok' })).statusCode,
    ).toBe(303)
    await insertTicket(app, {
      eventId: event.id,
      sectionId: event.sections[1].id,
      holderId: buyer.id,
      status: 'held',
    })

    const browser = await browserFor(app, organizer)
    const sales = await browser.get(`/organizer/events/${event.id}/sales`)
    expect(sales.statusCode).toBe(200)
    const floorRow = sales.body.slice(sales.body.indexOf('>Floor<'), sales.body.indexOf('>Balcony<'))
    expect(floorRow).toContain('A$40.00')
    expect(sales.body).toMatch(/<svg class="chart"[^>]*role="img"/)
    const today = new Date().toISOString().slice(0, 10)
    expect(sales.body).toContain(`<title>${today}, Floor: 2</title>`)
    expect(sales.body).toContain('=cmd|Buyer')
    const csv = await browser.get(`/organizer/events/${event.id}/attendees.csv`)
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body).toContain(`"${buyer.username}","'=cmd|Buyer","2"`)
  })

  it('revenue after a voucher and a refund is the API’s figure in the table, the total, the chart’s figures and the CLI', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Discounted show',
      sections: [{ name: 'Floor', capacity: 10, price_cents: 1000 }],
    })
    const voucher = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/vouchers`,
      headers: organizer.auth,
      payload: { code: 'HALF', kind: 'percent', value: 50 },
    })
    expect(voucher.statusCode).toBe(201)
    const buyer = await registerUser(app)
    const made = (
      await reserveAs(app, buyer, event.id, {
        section_id: event.sections[0].id,
        quantity: 2,
        voucher_code: 'HALF',
      })
    ).json()
    expect((await payAs(app, buyer, made.invoices[0].id)).statusCode).toBe(200)
    const refund = await app.inject({
      method: 'DELETE',
      url: `/api/v1/tickets/${made.tickets[0].id}`,
      headers: buyer.auth,
    })
    expect(refund.statusCode).toBe(204)

    const api = await app.inject({
      method: 'GET',
      url: `/api/v1/events/${event.id}/sales`,
      headers: organizer.auth,
    })
    expect(api.json().totals).toMatchObject({ sold: 1, revenue_cents: 500 })
    const browser = await browserFor(app, organizer)
    const sales = await browser.get(`/organizer/events/${event.id}/sales`)
    expect(sales.statusCode).toBe(200)
    // The Floor row, then the total row.
    expect([...sales.body.matchAll(/data-label="Revenue">([^<]*)</g)].map((m) => m[1])).toEqual([
      'A$5.00',
      'A$5.00',
    ])
    const today = new Date().toISOString().slice(0, 10)
    const day = new RegExp(`<th scope="row">${today}</th>(.*?)</tr>`, 's').exec(sales.body)?.[1] ?? ''
    expect([...day.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1])).toEqual(['1', '1', 'A$5.00'])
    const table = formatSalesTable(await salesReport(app.ctx, event.id))
    expect(table).toMatch(/\ntotal\s+10\s+0\s+1\s+9\s+AUD\s5\.00$/)
    // The attendee CSV carries no money: its ticket count is the API's sold.
    const csv = await browser.get(`/organizer/events/${event.id}/attendees.csv`)
    expect(csv.body).toBe(
      `"username","display_name","tickets"\r\n"${buyer.username}","${buyer.username}","1"\r\n`,
    )
  })

  it('each sold or held count links to the people behind it; a hand-edited link shows everyone', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Counted show',
      sections: [
        { name: 'Floor', capacity: 10, price_cents: 2000 },
        { name: 'Balcony', capacity: 5, price_cents: 3000 },
      ],
    })
    const [floor, balcony] = event.sections as [{ id: number }, { id: number }]
    const [paid, holding] = await Promise.all([
      registerUser(app, { display_name: 'Paid Floor' }),
      registerUser(app, { display_name: 'Holding Balcony' }),
    ])
    await insertTicket(app, { eventId: event.id, sectionId: floor.id, holderId: paid.id })
    await insertTicket(app, {
      eventId: event.id,
      sectionId: balcony.id,
      holderId: holding.id,
      status: 'held',
    })
    const browser = await browserFor(app, organizer)
    const base = `/organizer/events/${event.id}/sales`
    const sales = await browser.get(base)
    const links = [
      ...sales.body.matchAll(/<a href="(\?[^"]*#attendees)" aria-label="([^"]*)">(\d+)<\/a>/g),
    ].map((m) => [m[1]!.replaceAll('&amp;', '&'), m[2], m[3]])
    expect(links).toEqual([
      [`?section_id=${floor.id}#attendees`, '1 sold in Floor: who holds them', '1'],
      [`?section_id=${balcony.id}&status=held#attendees`, '1 held in Balcony: who holds them', '1'],
      ['?#attendees', '1 sold in all sections: who holds them', '1'],
      ['?status=held#attendees', '1 held in all sections: who holds them', '1'],
    ])
    const heading = (body: string) => /<h2 id="attendees"[^>]*>([^<]*)</.exec(body)?.[1]
    const floorList = await browser.get(`${base}?section_id=${floor.id}`)
    expect(heading(floorList.body)).toBe('Attendees in Floor')
    expect(floorList.body).toContain('Paid Floor')
    expect(floorList.body).not.toContain('Holding Balcony')
    const held = await browser.get(`${base}?section_id=${balcony.id}&status=held`)
    expect(heading(held.body)).toBe('Holding tickets in Balcony, not paid yet')
    expect(held.body).toContain('Holding Balcony')
    expect(held.body).not.toContain('Paid Floor')
    expect((await browser.get(`${base}?section_id=${floor.id}&status=held`)).body).toContain(
      'Nobody holds unpaid tickets in Floor now.',
    )
    // A section of no event, or of nothing: every attendee.
    for (const query of ['section_id=999999', 'section_id=x', 'status=x']) {
      const page = await browser.get(`${base}?${query}`)
      expect(page.statusCode, query).toBe(200)
      expect(heading(page.body), query).toBe('Attendees')
      expect(page.body, query).toContain('Paid Floor')
    }
  })
})
