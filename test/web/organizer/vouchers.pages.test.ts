// The organizer's vouchers and waiting list in the browser: create (percent and amount), a taken code beside its
// field, change and deactivate, delete while unused, the waiting list in order; nobody else's, and CSRF.
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { vouchers } from '../../../src/db/schema/index.js'
import { reserveAs } from '../../factories/boxoffice.js'
import { makeEvent } from '../../factories/events.js'
import { joinAs } from '../../factories/waitlist.js'
import { type App, buildTestApp, registerUser, type TestUser } from '../../helpers.js'
import { browserFor } from '../browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp({ MAX_EVENT_LOOP_DELAY: '0' })
  organizer = await registerUser(app, { display_name: 'Olga Organizer' })
})
afterAll(() => app.close())

const voucherRows = (eventId: number) =>
  app.ctx.db.select().from(vouchers).where(eq(vouchers.eventId, eventId)).orderBy(vouchers.id)

describe('organizer vouchers', () => {
  it('creates, changes, deactivates and deletes vouchers; a taken code and a used voucher are refused', async () => {
    const event = await makeEvent(app, organizer, {
      sections: [
        { name: 'Floor <A>', capacity: 10, price_cents: 4000 },
        { name: 'Balcony', capacity: 10, price_cents: 2000 },
      ],
    })
    const browser = await browserFor(app, organizer)
    const edit = await browser.get(`/organizer/events/${event.id}`)
    expect(edit.body).toContain(`href="/organizer/events/${event.id}/vouchers"`)
    expect(edit.body).toContain(`href="/organizer/events/${event.id}/waitlist"`)
    const base = `/organizer/events/${event.id}/vouchers`
    expect((await browser.get(base)).body).toContain('No vouchers yet.')

    const percent = await browser.post(base, {
      code: 'Early25',
      kind: 'percent',
      value: '25',
      max_uses: '10',
    })
    expect(percent.statusCode).toBe(303)
    // A percentage over 100 is a field to mend, 422 as every other refused value on the form, said with the
    // form's other errors at once (not only once they are mended) and in the form's words.
    const over = await browser.post(base, { code: 'TOO MUCH', kind: 'percent', value: '150', max_uses: '0' })
    expect(over.statusCode).toBe(422)
    expect(over.body).toContain(
      '<small id="f-value-error" class="field-error">Enter a percentage from 1 to 100</small>',
    )
    expect(over.body).toContain('id="f-code-error"')
    expect(over.body).toContain('id="f-max_uses-error"')
    // A code with a character it may not have says which.
    const stray = await browser.post(base, { code: 'ha lf!', kind: 'percent', value: '10' })
    expect(stray.statusCode).toBe(422)
    expect(stray.body).toContain(
      '<small id="f-code-error" class="field-error">Use only letters, digits, - and _ (not spaces, “!”)</small>',
    )
    const amount = await browser.post(base, {
      code: 'FLOOR5',
      kind: 'amount',
      value: '5.00',
      section_ids: [String(event.sections[0]!.id)],
      valid_until: '2031-01-01T00:00',
    })
    expect(amount.statusCode).toBe(303)
    const listed = await browser.get(base)
    expect(listed.body).toContain('Voucher FLOOR5 created.')
    expect(listed.body).toContain('25%')
    expect(listed.body).toContain('A$5.00')
    expect(listed.body).toContain('0 of 10')
    expect(listed.body).toContain('<span>Floor &lt;A></span>')
    const [early, floor] = await voucherRows(event.id)
    expect(floor).toMatchObject({ kind: 'amount', value: 500, sectionIds: [event.sections[0]!.id] })
    expect(floor!.validUntil?.toISOString()).toBe('2031-01-01T00:00:00.000Z')

    const taken = await browser.post(base, { code: 'early25', kind: 'amount', value: '1' })
    expect(taken.statusCode).toBe(409)
    expect(taken.body).toMatch(/id="f-code-error"[^>]*>/)
    expect(taken.body).toContain('value="early25"')

    // Changed and deactivated: buyers can no longer use it.
    const changed = await browser.post(`${base}/${early!.id}`, { value: '30', max_uses: '' })
    expect(changed.statusCode).toBe(303)
    expect((await voucherRows(event.id))[0]).toMatchObject({ value: 30, maxUses: null, active: false })
    const buyer = await registerUser(app)
    const refused = await reserveAs(app, buyer, event.id, {
      section_id: event.sections[0]!.id,
      voucher_code: 'EARLY25',
    })
    expect(refused.json().code).toBe('VOUCHER_INVALID')

    // Used: the delete is refused with the reason; unused: deleted.
    expect(
      (await reserveAs(app, buyer, event.id, { section_id: event.sections[0]!.id, voucher_code: 'floor5' }))
        .statusCode,
    ).toBe(201)
    await browser.post(`${base}/${floor!.id}/delete`, {})
    expect((await browser.get(base)).body).toContain(
      'FLOOR5 has been used, so it cannot be deleted: to stop it, untick Active under “Change FLOOR5” and save',
    )
    await browser.post(`${base}/${early!.id}/delete`, {})
    expect((await browser.get(base)).body).toContain('Voucher deleted.')
    expect((await voucherRows(event.id)).map((v) => v.code)).toEqual(['FLOOR5'])
  })

  it('a kind the select does not offer reads as its first option, the percentage, as the page shows it', async () => {
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, organizer)
    const base = `/organizer/events/${event.id}/vouchers`
    await browser.get(base)
    for (const [code, kind] of [
      ['BLANKKIND', ''],
      ['ODDKIND', 'bogus'],
    ] as const) {
      const res = await browser.post(base, { code, kind, value: '15' })
      expect(res.statusCode, kind).toBe(303)
    }
    expect((await voucherRows(event.id)).map((v) => [v.code, v.kind, v.value])).toEqual([
      ['BLANKKIND', 'percent', 15],
      ['ODDKIND', 'percent', 15],
    ])
  })

  it('a row’s change is checked as the API checks it: a bad limit or end date is a message naming the field', async () => {
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, organizer)
    const base = `/organizer/events/${event.id}/vouchers`
    await browser.get(base)
    await browser.post(base, { code: 'ROWCHECK', kind: 'percent', value: '10', max_uses: '5' })
    const [voucher] = await voucherRows(event.id)
    for (const [fields, message] of [
      [{ valid_until: 'a\u0000b' }, 'ROWCHECK was not saved. Valid until: '],
      [{ valid_until: '2031-02-30T10:00' }, 'ROWCHECK was not saved. Valid until: '],
      [{ max_uses: '9'.repeat(25) }, 'ROWCHECK was not saved. Maximum uses: Enter 1000000 or less'],
      [{ max_uses: '0' }, 'ROWCHECK was not saved. Maximum uses: Enter 1 or more'],
      [{ value: '150' }, 'ROWCHECK was not saved. Value: Enter a percentage from 1 to 100'],
    ] as const) {
      await browser.get(base)
      const res = await browser.post(`${base}/${voucher!.id}`, { value: '12', max_uses: '5', ...fields })
      expect(res.statusCode, JSON.stringify(fields)).toBe(422)
      // The top names the row and leads to its field; the row comes back open, as typed, the reason beside it.
      const field = Object.keys(fields)[0]!
      expect(res.body).toContain(`<a href="#v${voucher!.id}-${field}">${message}`)
      expect(res.body).toContain(`<details open>`)
      const typed = 'value' in fields ? fields.value : '12'
      expect(res.body).toContain(`id="v${voucher!.id}-value" name="value" type="text" value="${typed}"`)
      expect(res.body).toMatch(
        new RegExp(
          `id="v${voucher!.id}-${field}"[^>]*aria-invalid="true" aria-describedby="v${voucher!.id}-${field}-error"`,
        ),
      )
      expect(res.body).toMatch(new RegExp(`id="v${voucher!.id}-${field}-error" class="field-error">`))
    }
    expect((await voucherRows(event.id))[0]).toMatchObject({ value: 10, maxUses: 5, validUntil: null })
  })

  it('a row’s limit under the voucher’s uses says how many it has had, in the page’s words; nothing changes', async () => {
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, organizer)
    const base = `/organizer/events/${event.id}/vouchers`
    await browser.get(base)
    await browser.post(base, { code: 'USEDTWICE', kind: 'percent', value: '10', max_uses: '5' })
    const [voucher] = await voucherRows(event.id)
    for (const buyer of [await registerUser(app), await registerUser(app)]) {
      const res = await reserveAs(app, buyer, event.id, {
        section_id: event.sections[0]!.id,
        voucher_code: 'usedtwice',
      })
      expect(res.statusCode).toBe(201)
    }
    await browser.get(base)
    const under = await browser.post(`${base}/${voucher!.id}`, { value: '10', max_uses: '1', active: 'true' })
    expect(under.statusCode).toBe(422)
    // Not the API's "this voucher has been used 2 times already" under its field's path.
    expect(under.body).toContain(
      'USEDTWICE was not saved. Maximum uses: Enter 2 or more (it has been used 2 times), or leave it empty for no limit',
    )
    expect(under.body).toMatch(/name="max_uses" type="number" min="1" value="1"/)
    expect((await voucherRows(event.id))[0]).toMatchObject({ maxUses: 5, uses: 2 })
    const fits = await browser.post(`${base}/${voucher!.id}`, { value: '10', max_uses: '2', active: 'true' })
    expect(fits.statusCode).toBe(303)
    expect((await voucherRows(event.id))[0]).toMatchObject({ maxUses: 2, uses: 2 })
    // Active, but no buyer can use it: the list says why.
    expect((await browser.get(base)).body).toContain('<td data-label="Status">Used up</td>')
  })

  it('an end at or before the start is named in words, on the new form and on a row; nothing changes', async () => {
    const event = await makeEvent(app, organizer)
    const browser = await browserFor(app, organizer)
    const base = `/organizer/events/${event.id}/vouchers`
    await browser.get(base)
    const dates = { kind: 'percent', value: '10', valid_from: '2030-06-01T10:00' }
    const backwards = await browser.post(base, {
      ...dates,
      code: 'BACKWARDS',
      valid_until: '2030-05-01T10:00',
    })
    expect(backwards.statusCode).toBe(422)
    expect(backwards.body).toMatch(/id="f-valid_until-error"[^>]*>Set a time after Valid from</)
    expect(backwards.body).toContain(
      '<a href="#f-valid_until">Valid until (optional): Set a time after Valid from</a>',
    )
    expect(await voucherRows(event.id)).toEqual([])

    expect((await browser.post(base, { ...dates, code: 'ROWDATES' })).statusCode).toBe(303)
    const [voucher] = await voucherRows(event.id)
    await browser.get(base)
    const row = await browser.post(`${base}/${voucher!.id}`, { value: '10', valid_until: '2030-06-01T09:00' })
    expect(row.statusCode).toBe(422)
    expect(row.body).toMatch(/ROWDATES was not saved. Valid until: Set a time after [^<]*2030/)
    expect(row.body).toContain('value="2030-06-01T09:00"')
    expect((await voucherRows(event.id))[0]).toMatchObject({ validUntil: null })
  })

  it('another member gets 404 for an event’s vouchers and waiting list; posting without the CSRF token is 403', async () => {
    const event = await makeEvent(app, organizer)
    await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/vouchers`,
      headers: organizer.auth,
      payload: { code: 'SECRET', kind: 'percent', value: 10 },
    })
    const other = await registerUser(app)
    const theirs = await browserFor(app, other)
    expect((await theirs.get(`/organizer/events/${event.id}/vouchers`)).statusCode).toBe(404)
    expect((await theirs.get(`/organizer/events/${event.id}/waitlist`)).statusCode).toBe(404)
    const post = await theirs.post(`/organizer/events/${event.id}/vouchers`, {
      code: 'MINE',
      kind: 'percent',
      value: '10',
    })
    expect(post.statusCode).toBe(404)
    const own = await makeEvent(app, other)
    expect((await theirs.get(`/organizer/events/${own.id}/vouchers`)).body).not.toContain('SECRET')

    const browser = await browserFor(app, organizer)
    await browser.get(`/organizer/events/${event.id}/vouchers`)
    const forged = await browser.post(`/organizer/events/${event.id}/vouchers`, {
      _csrf: null,
      code: 'FORGED',
      kind: 'percent',
      value: '10',
    })
    expect(forged.statusCode).toBe(403)
    expect((await voucherRows(event.id)).map((v) => v.code)).toEqual(['SECRET'])
  })
})

describe('organizer waiting list', () => {
  it('lists the entries in the order they are served, with who waits and their places', async () => {
    const event = await makeEvent(app, organizer, { sections: [{ name: 'Pit', capacity: 1 }] })
    const section_id = event.sections[0]!.id
    const [holder, first, second] = [
      await registerUser(app),
      await registerUser(app, { display_name: 'First <Fan>' }),
      await registerUser(app, { display_name: 'Second Fan' }),
    ]
    expect((await reserveAs(app, holder, event.id, { section_id })).statusCode).toBe(201)
    expect((await joinAs(app, first, event.id, { section_id, quantity: 3 })).statusCode).toBe(201)
    expect((await joinAs(app, second, event.id, { section_id, quantity: 1 })).statusCode).toBe(201)
    const browser = await browserFor(app, organizer)
    const page = await browser.get(`/organizer/events/${event.id}/waitlist`)
    expect(page.statusCode).toBe(200)
    const rows = [...page.body.matchAll(/<tr><th scope="row">.*?<\/tr>/gs)].map((m) =>
      [...m[0].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]),
    )
    expect(rows).toEqual([
      [`First &lt;Fan> (@${first!.username})`, 'Pit', '3', 'No', '1', 'Waiting'],
      [`Second Fan (@${second!.username})`, 'Pit', '1', 'No', '2', 'Waiting'],
    ])
  })
})
