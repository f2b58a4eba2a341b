import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GENERAL_AND_VIP, insertTicket, makeEvent } from '../factories/events.js'
import { makeFriends, makePost } from '../factories/social.js'
import { type App, buildTestApp, registerAdmin, registerUser, type TestUser } from '../helpers.js'
import { Browser, browserFor } from './browser.js'

let app: App
let organizer: TestUser
beforeAll(async () => {
  app = await buildTestApp()
  organizer = await registerUser(app)
})
afterAll(() => app.close())

/** The ids of a section's seats, front row first (`GET /events/{id}/seats`). */
async function seatsOfSection(eventId: number, sectionId: number): Promise<number[]> {
  const res = await app.inject({ url: `/api/v1/events/${eventId}/seats?section_id=${sectionId}` })
  return res.json().map((s: { id: number }) => s.id)
}

describe('home page', () => {
  it('lists upcoming published events with date, venue, lowest price and sold out; drafts absent', async () => {
    const published = await makeEvent(app, organizer, { title: 'Published <b>Gig</b>', venue: 'Hall & Co' })
    const draft = await makeEvent(app, organizer, { title: 'Secret draft gig', status: 'draft' })
    const soldOut = await makeEvent(app, organizer, {
      title: 'Tiny sold out gig',
      sections: [{ capacity: 1, price_cents: 1500 }],
    })
    const buyer = await registerUser(app)
    await insertTicket(app, {
      eventId: soldOut.id,
      sectionId: soldOut.sections[0].id,
      holderId: buyer.id,
      status: 'confirmed',
    })
    const res = await new Browser(app).get('/?q=gig')
    expect(res.statusCode).toBe(200)
    // Escaped, not markup.
    expect(res.body).toContain('Published &lt;b>Gig&lt;/b>')
    expect(res.body).not.toContain('<b>Gig</b>')
    expect(res.body).toContain(`href="/events/${published.id}"`)
    expect(res.body).toContain('Hall &amp; Co')
    expect(res.body).toContain('From A$45.00')
    expect(res.body).not.toContain(draft.title)
    const card = res.body.slice(res.body.indexOf('Tiny sold out gig'))
    expect(card.slice(0, card.indexOf('</article>'))).toContain('Sold out')
  })

  it('filters by venue and date, and pages', async () => {
    await makeEvent(app, organizer, { title: 'Venue filter A', venue: 'Blue Room' })
    await makeEvent(app, organizer, { title: 'Venue filter B', venue: 'Red Room' })
    const blue = await new Browser(app).get('/?venue=blue')
    expect(blue.body).toContain('Venue filter A')
    expect(blue.body).not.toContain('Venue filter B')
    const past = await new Browser(app).get('/?to=2000-01-01')
    expect(past.body).toContain('No events match.')
    for (let i = 0; i < 13; i++) await makeEvent(app, organizer, { title: `Paged show ${i}` })
    const first = await new Browser(app).get('/?q=paged+show')
    expect(first.body).toContain('Page 1 of 2')
    expect(first.body).toMatch(/href="\/\?q=paged\+show&(amp;)?page=2"/)

    // A hand-edited page past the last: it says so and leads back, rather than a count over an empty list.
    const beyond = await new Browser(app).get('/?q=paged+show&page=9')
    expect(beyond.statusCode).toBe(200)
    expect(beyond.body).not.toContain('Paged show')
    expect(beyond.body).toContain('Page 9 is past the last page')
    expect(beyond.body).toMatch(/href="\/\?q=paged\+show&(amp;)?page=2"[^>]*>Back to the last page \(2\)</)
    const single = await new Browser(app).get('/?venue=blue&page=3')
    expect(single.body).toContain('Page 3 is past the last page')
    expect(single.body).toMatch(/href="\/\?venue=blue"[^>]*>Back to the first page</)
  })

  it('shows a filter that fails its check with its error, and still applies the others', async () => {
    await makeEvent(app, organizer, { title: 'Checked filter show', venue: 'Green Room' })
    await makeEvent(app, organizer, { title: 'Other filter show', venue: 'Grey Room' })
    // A day that does not exist (it once reached Date#toISOString and answered a 500), and one out of range.
    for (const to of ['2026-13-45', '2026-02-30', '0000-01-01']) {
      const res = await new Browser(app).get(`/?venue=green&to=${to}`)
      expect(res.statusCode).toBe(422)
      expect(res.body).toContain('id="f-to-error"')
      expect(res.body).toContain('Enter a real date')
      expect(res.body).toContain(`value="${to}"`)
      expect(res.body).toContain('aria-invalid="true"')
      expect(res.body).toContain('Checked filter show')
      expect(res.body).not.toContain('Other filter show')
    }
    const control = await new Browser(app).get('/?q=checked%00filter&venue=green')
    expect(control.statusCode).toBe(422)
    expect(control.body).toContain('id="f-q-error"')
    expect(control.body).toContain('Use one line, without control characters')
    expect(control.body).toContain('Checked filter show')
    const long = await new Browser(app).get(`/?venue=${'g'.repeat(201)}`)
    expect(long.statusCode).toBe(422)
    expect(long.body).toContain('Use at most 200 characters')
    // A "to" day before the "from" day would match nothing: it is refused beside "To", and "From" still applies.
    const day = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10)
    const crossed = await new Browser(app).get(`/?venue=green&from=${day(2)}&to=${day(1)}`)
    expect(crossed.statusCode).toBe(422)
    expect(crossed.body).toContain('id="f-to-error"')
    expect(crossed.body).toContain('Choose a day on or after the “From” day')
    expect(crossed.body).toContain(`value="${day(1)}"`)
    expect(crossed.body).not.toContain('id="f-from-error"')
    expect(crossed.body).toContain('Checked filter show')
    // The count says the list was searched without the refused "To".
    expect(crossed.body).toMatch(/<p role="status">\d+ events? match(es)? the other filters<\/p>/)
    const none = await new Browser(app).get(`/?venue=nowhere-at-all&from=${day(2)}&to=${day(1)}`)
    expect(none.statusCode).toBe(422)
    expect(none.body).toContain('No events match the other filters.')
    const ordered = await new Browser(app).get(`/?venue=green&from=${day(2)}&to=${day(2)}`)
    expect(ordered.statusCode).toBe(200)
    expect(ordered.body).not.toContain('field-error')
    // A hand-edited page number is the first page, not an error.
    const page = await new Browser(app).get('/?venue=green&page=abc')
    expect(page.statusCode).toBe(200)
    expect(page.body).not.toContain('field-error')
    expect(page.body).toContain('Checked filter show')
  })

  it('shows friends going when logged in', async () => {
    const me = await registerUser(app)
    const friend = await registerUser(app, { display_name: 'Fran Friend' })
    const stranger = await registerUser(app, { display_name: 'Sam Stranger' })
    await makeFriends(app, me, friend)
    const event = await makeEvent(app, organizer, { title: 'Friends going show' })
    for (const holder of [friend, stranger]) {
      await insertTicket(app, {
        eventId: event.id,
        sectionId: event.sections[0].id,
        holderId: holder.id,
        status: 'confirmed',
      })
    }
    const browser = await browserFor(app, me)
    const res = await browser.get('/?q=friends+going')
    expect(res.body).toContain('Friends going: Fran Friend')
    expect(res.body).not.toContain('Sam Stranger')
    const anonymous = await new Browser(app).get('/?q=friends+going')
    expect(anonymous.body).not.toContain('Fran Friend')
  })
})

describe('event page', () => {
  it('is built for sharing and search: title, description, Open Graph, JSON-LD with offers', async () => {
    const event = await makeEvent(app, organizer, {
      title: 'Jazz </script> Night',
      description: 'An evening of jazz.',
      sections: GENERAL_AND_VIP,
    })
    const res = await new Browser(app).get(`/events/${event.id}`)
    expect(res.statusCode).toBe(200)
    expect(res.body).toContain('<title>Jazz &lt;/script> Night · Stagedoor</title>')
    expect(res.body).toMatch(/<meta name="description" content="[^"]*An evening of jazz\./)
    expect(res.body).toContain('<meta property="og:title" content="Jazz </script> Night"/>')
    expect(res.body).toContain(`<meta property="og:url" content="http://stagedoor.test/events/${event.id}"/>`)
    expect(res.body).toContain('<meta property="og:type" content="website"/>')
    const ld = /<script type="application\/ld\+json">(.*?)<\/script>/s.exec(res.body)?.[1]
    const data = JSON.parse(ld!)
    expect(data['@type']).toBe('Event')
    expect(data.name).toBe('Jazz </script> Night')
    expect(data.offers).toEqual([
      expect.objectContaining({
        price: '49.00',
        priceCurrency: 'AUD',
        availability: 'https://schema.org/InStock',
      }),
      expect.objectContaining({ price: '299.00', priceCurrency: 'AUD' }),
    ])
    expect(res.body).toContain('Log in to reserve')
  })

  it('says every section of a cancelled event is cancelled, not its free places', async () => {
    const event = await makeEvent(app, organizer, { title: 'Called off', sections: GENERAL_AND_VIP })
    const before = await new Browser(app).get(`/events/${event.id}`)
    expect(before.body).toMatch(/data-availability="\d+"[^>]*>\d+ available</)
    const cancelled = await app.inject({
      method: 'POST',
      url: `/api/v1/events/${event.id}/cancel`,
      headers: organizer.auth,
    })
    expect(cancelled.statusCode).toBe(200)
    const page = (await new Browser(app).get(`/events/${event.id}`)).body
    const cells = [...page.matchAll(/data-availability="\d+"[^>]*>([^<]*)</g)].map((m) => m[1])
    expect(cells).toEqual(['Cancelled', 'Cancelled'])
    expect(page).not.toMatch(/\d+ available/)
  })

  it('answers 304 to If-None-Match for an anonymous reader', async () => {
    const event = await makeEvent(app, organizer)
    const first = await app.inject({ url: `/events/${event.id}`, headers: { accept: 'text/html' } })
    expect(first.headers.etag).toBeTruthy()
    expect(first.headers['set-cookie']).toBeUndefined()
    const again = await app.inject({
      url: `/events/${event.id}`,
      headers: { accept: 'text/html', 'if-none-match': String(first.headers.etag) },
    })
    expect(again.statusCode).toBe(304)
  })

  it('404s a draft for everyone but its organizer and admins', async () => {
    const draft = await makeEvent(app, organizer, { title: 'Draft only', status: 'draft' })
    expect((await new Browser(app).get(`/events/${draft.id}`)).statusCode).toBe(404)
    const other = await browserFor(app, await registerUser(app))
    const res = await other.get(`/events/${draft.id}`)
    expect(res.statusCode).toBe(404)
    expect(res.body).not.toContain('Draft only')
    expect((await (await browserFor(app, organizer)).get(`/events/${draft.id}`)).body).toContain('Draft only')
    expect(
      (await (await browserFor(app, await registerAdmin(app))).get(`/events/${draft.id}`)).statusCode,
    ).toBe(200)
    // An id that is not a decimal number (or has leading zeros) is no page the site makes: the HTML 404 page,
    // without the API's words for it (the API answers 400 VALIDATION_FAILED).
    for (const url of ['/events/not-a-number', `/events/0${draft.id}`, '/posts/abc/edit', '/tickets/1e3']) {
      const malformed = await (await browserFor(app, organizer)).get(url)
      expect(malformed.statusCode, url).toBe(404)
      expect(malformed.headers['content-type']).toMatch(/^text\/html/)
      expect(malformed.body).toContain('Page not found')
      expect(malformed.body).not.toContain('decimal integer')
    }
  })

  it('gives members one reservation form with a CSRF field, seats named in full, and friends', async () => {
    const me = await registerUser(app)
    const friend = await registerUser(app, { display_name: 'Pat Pal' })
    await makeFriends(app, me, friend)
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const res = await (await browserFor(app, me)).get(`/events/${event.id}`)
    const forms = res.body.match(/<form method="post" action="\/events\/\d+\/reserve"/g) ?? []
    expect(forms).toHaveLength(1)
    const form = res.body.slice(res.body.indexOf(`action="/events/${event.id}/reserve"`))
    expect(form).toContain('name="_csrf"')
    expect(form).toContain('aria-label="Row A, seat 1, available, A$299.00"')
    expect(form).toContain('<legend>Row A</legend>')
    expect(form).toContain('Pat Pal')
    expect(form).toContain('Each pays their own ticket')
  })
})

describe('a guest choosing seats before logging in', () => {
  it('sees the seat map in a form that sends the choice to the login and back, with nothing held', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const guest = new Browser(app)
    const page = await guest.get(`/events/${event.id}`)
    expect(page.statusCode).toBe(200)
    const start = page.body.indexOf(`<form method="get" action="/events/${event.id}/reserve"`)
    expect(start).toBeGreaterThan(0)
    const form = page.body.slice(start, page.body.indexOf('</form>', start))
    expect(form).not.toContain('name="_csrf"')
    expect(form).toContain('aria-label="Row A, seat 1, available, A$299.00"')
    expect(form).toContain('<legend>Row B</legend>')
    expect(form).not.toContain('name="attendee_ids"')
    expect(form).toMatch(/<button type="submit" aria-describedby="f-guest-hint">Log in to reserve<\/button>/)
    // Still one page for every guest: no cookie, and the ETag holds.
    expect(page.headers['set-cookie']).toBeUndefined()
    expect(page.headers.etag).toBeTruthy()

    const vip = event.sections[1]
    const [a1, a2] = await seatsOfSection(event.id, vip.id)
    const sent = await guest.get(
      `/events/${event.id}/reserve?section_id=${vip.id}&quantity=2&seat_ids=${a1}&seat_ids=${a2}&together=true&voucher_code=SPRING`,
    )
    expect(sent.statusCode).toBe(303)
    const back = `/events/${event.id}?section_id=${vip.id}&quantity=2&seat_ids=${a1}&seat_ids=${a2}&together=true&voucher_code=SPRING#reserve`
    expect(sent.headers.location).toBe(`/login?next=${encodeURIComponent(back)}`)
    // Nothing is held for a guest.
    const seats = await app.inject({ url: `/api/v1/events/${event.id}/seats?section_id=${vip.id}` })
    expect(seats.json().filter((s: { status: string }) => s.status !== 'available')).toEqual([])

    const me = await registerUser(app)
    await guest.get(String(sent.headers.location))
    const login = await guest.post(String(sent.headers.location), { email: me.email, password: me.password })
    expect(login.statusCode).toBe(303)
    expect(login.headers.location).toBe(back)
    const filled = await guest.get(back)
    expect(filled.body).toContain('The choice you made before logging in is filled in below')
    expect(filled.body).toMatch(new RegExp(`value="${a1}" checked `))
    expect(filled.body).toMatch(new RegExp(`value="${a2}" checked `))
    expect(filled.body).toMatch(new RegExp(`name="section_id" value="${vip.id}" checked `))
    expect(filled.body).toContain('value="SPRING"')
    // Logged in, the form is the member's one: it posts, with its CSRF field, and holds the seats chosen.
    expect(filled.body).toContain(`<form method="post" action="/events/${event.id}/reserve"`)
    const held = await guest.post(`/events/${event.id}/reserve`, {
      section_id: String(vip.id),
      quantity: '2',
      seat_ids: [String(a1), String(a2)],
    })
    expect(held.statusCode).toBe(303)
    expect(held.headers.location).toMatch(/^\/reservations\/\d+$/)
  })

  it('keeps only well-formed choices, 404s an unknown event, and sends a member straight back', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const guest = new Browser(app)
    const junk = await guest.get(
      `/events/${event.id}/reserve?section_id=-1&quantity=1e9&seat_ids=abc&seat_ids=7&seat_ids=7&together=yes&voucher_code=${'x'.repeat(65)}`,
    )
    expect(junk.statusCode).toBe(303)
    expect(junk.headers.location).toBe(
      `/login?next=${encodeURIComponent(`/events/${event.id}?seat_ids=7#reserve`)}`,
    )
    // At most 100 seats are carried; a choice still too long for a login to return to (2,000 characters: here a
    // voucher code of 64 letters that each take six) drops its seats, not the page.
    const many = Array.from({ length: 101 }, (_, i) => `seat_ids=${100_000_000 + i}`).join('&')
    const hundred = await guest.get(`/events/${event.id}/reserve?quantity=3&${many}`)
    const next = new URL(String(hundred.headers.location), 'http://x').searchParams.get('next') ?? ''
    const kept = new URL(next, 'http://x').searchParams
    expect(kept.getAll('seat_ids')).toHaveLength(100)
    const code = 'é'.repeat(64)
    const long = await guest.get(
      `/events/${event.id}/reserve?quantity=3&${many}&voucher_code=${encodeURIComponent(code)}`,
    )
    expect(long.headers.location).toBe(
      `/login?next=${encodeURIComponent(`/events/${event.id}?quantity=3&voucher_code=${encodeURIComponent(code)}#reserve`)}`,
    )
    expect((await guest.get('/events/999999999/reserve?quantity=1')).statusCode).toBe(404)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    expect((await guest.get(`/events/${draft.id}/reserve`)).statusCode).toBe(404)

    const member = await browserFor(app, await registerUser(app))
    const direct = await member.get(`/events/${event.id}/reserve?quantity=2`)
    expect(direct.statusCode).toBe(303)
    expect(direct.headers.location).toBe(`/events/${event.id}?quantity=2#reserve`)
    // Junk in the event page's own query fills in nothing, and says nothing was.
    const odd = await member.get(`/events/${event.id}?quantity=abc&seat_ids=x&section_id=${'9'.repeat(40)}`)
    expect(odd.statusCode).toBe(200)
    expect(odd.body).toMatch(/name="quantity"[^>]*value="1"/)
    expect(odd.body).not.toContain('The choice you made before logging in')
  })

  it('fills in only what fits the event now: its own section, its seats in that section, a number it allows', async () => {
    const event = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP, max_tickets_per_user: 4 })
    const elsewhere = await makeEvent(app, organizer, { sections: GENERAL_AND_VIP })
    const [general, vip] = event.sections
    const [a1, a2, a3] = await seatsOfSection(event.id, vip.id)
    const [theirs] = await seatsOfSection(elsewhere.id, elsewhere.sections[1].id)
    const member = await browserFor(app, await registerUser(app))
    const checked = (html: string) => [...html.matchAll(/value="(\d+)" checked /g)].map((m) => Number(m[1]))
    // Another event's section: this event's first on sale stays chosen; a number over the limit is dropped.
    const foreign = await member.get(
      `/events/${event.id}?section_id=${elsewhere.sections[0].id}&quantity=100000`,
    )
    expect(checked(foreign.body)).toEqual([general.id])
    expect(foreign.body).toMatch(/name="quantity"[^>]*value="1"/)
    expect(foreign.body).not.toContain('The choice you made before logging in')
    // Seats: only this event's, of the section named; the number follows the seats kept.
    const seats = await member.get(
      `/events/${event.id}?section_id=${vip.id}&quantity=3&seat_ids=${a1}&seat_ids=${a2}&seat_ids=${theirs}`,
    )
    expect(checked(seats.body)).toEqual([vip.id, a1, a2])
    expect(seats.body).toMatch(/name="quantity"[^>]*value="2"/)
    expect(seats.body).toContain('The choice you made before logging in')
    // A seat with a section it is not in: the section named wins, the seat goes.
    const mixed = await member.get(`/events/${event.id}?section_id=${general.id}&seat_ids=${a3}&quantity=2`)
    expect(checked(mixed.body)).toEqual([general.id])
    expect(mixed.body).toMatch(/name="quantity"[^>]*value="2"/)
  })
})

describe('search, sitemap, robots', () => {
  it('searches events for anyone, and people for members only', async () => {
    const person = await registerUser(app, { display_name: 'Zebedee Searchable' })
    await makeEvent(app, organizer, { title: 'Zebedee Festival' })
    const anonymous = await new Browser(app).get('/search?q=zebedee')
    expect(anonymous.body).toContain('Zebedee Festival')
    expect(anonymous.body).not.toContain(person.username)
    const member = await (await browserFor(app, await registerUser(app))).get('/search?q=zebedee')
    expect(member.body).toContain(`@${person.username}`)
    // Each result's title is a level under its list's heading (Events, People, Posts).
    for (const page of [anonymous, member]) {
      expect(page.body).toMatch(
        /<h2 id="found-events">Events<\/h2><ul class="cards"><li><article><h3><a href="\/events\/\d+">Zebedee/,
      )
      expect(page.body).not.toMatch(/<article><h2>/)
    }
  })

  it('leads from the closest 20 of each kind to the rest, a page at a time, none twice and none left out', async () => {
    const word = `qz${Date.now().toString(36)}`
    const people = await Promise.all(
      Array.from({ length: 45 }, (_, i) => registerUser(app, { display_name: `${word} person ${i}` })),
    )
    for (let i = 0; i < 23; i++) await makeEvent(app, organizer, { title: `${word} night ${i}` })
    for (let i = 0; i < 21; i++) await makePost(app, people[i]!, { body: `${word} post ${i}` })
    const member = await browserFor(app, await registerUser(app))

    const all = (await member.get(`/search?q=${word}`)).body
    const href = (kind: string) => `/search?q=${word}&type=${kind}&page=2`
    for (const [kind, more] of [
      ['events', 'More events'],
      ['users', 'More people'],
      ['posts', 'More posts'],
    ] as const) {
      expect(all).toContain(`<a href="${href(kind)}">${more} matching “${word}” →</a>`)
    }
    expect(all.match(/<a href="\/users\/[^"]+">/g)?.length).toBe(20)

    // Every person, on pages of 20 of people alone: 20, 20, 5, then no further link.
    const seen: string[] = []
    for (let n = 1; n <= 3; n++) {
      const page = (await member.get(`/search?q=${word}&type=users${n > 1 ? `&page=${n}` : ''}`)).body
      const found = [...page.matchAll(/\(@([^)]+)\)<\/a>/g)].map((m) => m[1]!)
      expect(found).toHaveLength(n < 3 ? 20 : 5)
      seen.push(...found)
      expect(page).toContain(`Page ${n}`)
      expect(page.includes('More matches →')).toBe(n < 3)
      expect(page.includes('← Closer matches')).toBe(n > 1)
      expect(page).toContain(`<a href="/search?q=${word}">← Everything matching “${word}”</a>`)
      expect(page).not.toContain('<h2 id="found-events">')
    }
    expect(new Set(seen).size).toBe(45)
    expect(new Set(seen)).toEqual(new Set(people.map((p) => p.username)))
    // Events: 23 is 20 and 3; posts: 21 is 20 and 1.
    const events = (await member.get(`/search?q=${word}&type=events&page=2`)).body
    expect(events.match(/<article>/g)).toHaveLength(3)
    const posts = (await member.get(`/search?q=${word}&type=posts&page=2`)).body
    expect(posts.match(/<a href="\/posts\/\d+">/g)).toHaveLength(1)
    // Past the last page: said, with a way back.
    const past = (await member.get(`/search?q=${word}&type=users&page=4`)).body
    expect(past).toContain('Page 4 is past the last page')
    expect(past).toContain(`<a href="/search?q=${word}&type=users">Back to the first page</a>`)
    // A page number that is not digits is page 1; an unknown kind is every kind.
    expect((await member.get(`/search?q=${word}&type=users&page=1e2`)).body).toContain('Page 1')
    const odd = (await member.get(`/search?q=${word}&type=nothing`)).body
    expect(odd).toContain('<h2 id="found-events">')
    expect(odd).toContain('<h2 id="found-users">')
    // A guest asking for people sees the events, and is asked to log in for the rest.
    const guest = (await new Browser(app).get(`/search?q=${word}&type=users&page=2`)).body
    expect(guest).not.toContain('<h2 id="found-users">')
    expect(guest).toContain('<h2 id="found-events">')
    expect(guest).toContain('to search people and posts')
  })

  it('shows a search term that fails its check with its error beside the field, and searches nothing', async () => {
    await makeEvent(app, organizer, { title: 'Unsearched Festival' })
    const browser = await browserFor(app, await registerUser(app))
    for (const [q, message] of [
      ['unsearched%00festival', 'Use one line, without control characters'],
      ['unsearched%0Afestival', 'Use one line, without control characters'],
      [`unsearched${'x'.repeat(100)}`, 'Use at most 100 characters'],
    ] as const) {
      const res = await browser.get(`/search?q=${q}`)
      expect(res.statusCode).toBe(422)
      expect(res.body).toContain('id="f-q-error"')
      expect(res.body).toContain(message)
      expect(res.body).not.toContain('Unsearched Festival')
    }
    const fine = await browser.get('/search?q=%20unsearched%20')
    expect(fine.statusCode).toBe(200)
    expect(fine.body).toContain('Unsearched Festival')
    expect(fine.body).not.toContain('field-error')
  })

  it('lists published events in the sitemap, not drafts; robots.txt points at it', async () => {
    const published = await makeEvent(app, organizer)
    const draft = await makeEvent(app, organizer, { status: 'draft' })
    const sitemap = await app.inject({ url: '/sitemap.xml' })
    expect(sitemap.headers['content-type']).toMatch(/^application\/xml/)
    expect(sitemap.body).toContain(`<loc>http://stagedoor.test/events/${published.id}</loc>`)
    expect(sitemap.body).not.toContain(`/events/${draft.id}<`)
    const robots = await app.inject({ url: '/robots.txt' })
    expect(robots.body).toContain('Sitemap: http://stagedoor.test/sitemap.xml')
  })
})
