// A search of two characters (`q=ab`, `venue=ab`) is looked up among each title's and venue's pairs of
// characters (migration 0025): it must find exactly the events whose text contains the pair, in any case,
// wherever the pair stands (first, last, repeated, across a space), with characters of more than one byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeEvent } from '../factories/events.js'
import { type App, buildTestApp, registerUser } from '../helpers.js'

// Each text is used as a title and, reversed, as a venue.
// (The API trims a title or venue: no text starts or ends with a space.)
const TEXTS = ['Xa', 'aaa', 'ÉcoLe', 'x', 'zoë Ω', 'x b', 'b o', 'ab ab', '%_', 'Ωé', 'bA', 'ëx_X']
const ALPHABET = ['a', 'B', ' ', 'é', 'É', 'x', '%', '_', 'ë', 'Ω', 'o', 'z']

let app: App
const titleOf = new Map<number, string>()

beforeAll(async () => {
  app = await buildTestApp()
  const organizer = await registerUser(app)
  for (const text of TEXTS) {
    const event = await makeEvent(app, organizer, { title: text, venue: [...text].reverse().join('') })
    titleOf.set(event.id, text)
  }
})
afterAll(() => app?.close())

async function found(param: 'q' | 'venue', text: string): Promise<string[]> {
  const res = await app.inject({
    method: 'GET',
    url: `/api/v1/events?${param}=${encodeURIComponent(text)}&per_page=100`,
  })
  expect(res.statusCode, text).toBe(200)
  const body = res.json() as { data: { id: number }[]; total: number }
  expect(body.total, text).toBe(body.data.length)
  return body.data.map((e) => titleOf.get(e.id)!).sort()
}

const containing = (pair: string, field: (title: string) => string) =>
  TEXTS.filter((t) => field(t).toLowerCase().includes(pair.toLowerCase())).sort()

describe('GET /events with a text of two characters', () => {
  const pairs = ALPHABET.flatMap((a) => ALPHABET.map((b) => a + b))

  it('q finds exactly the titles that contain the pair, in any case', async () => {
    let matched = 0
    for (const pair of pairs) {
      const expected = containing(pair, (t) => t)
      matched += expected.length
      expect(await found('q', pair), pair).toEqual(expected)
    }
    // The alphabet reaches the texts' pairs: most queries find nothing, but many find something.
    expect(matched).toBeGreaterThan(10)
  })

  it('venue finds exactly the venues that contain the pair, in any case', async () => {
    for (const pair of pairs) {
      const expected = containing(pair, (t) => [...t].reverse().join(''))
      expect(await found('venue', pair), pair).toEqual(expected)
    }
  })

  it('a pair that lowers to more characters, or one character, still matches as a plain substring', async () => {
    // 'İ' lowers to two code points in JavaScript; one character takes the scan; three take the trigram index.
    expect(await found('q', 'İ')).toEqual(containing('İ', (t) => t))
    expect(await found('q', 'Ω')).toEqual(['zoë Ω', 'Ωé'])
    expect(await found('q', 'ab ')).toEqual(['ab ab'])
  })
})
