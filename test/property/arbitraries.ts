// fast-check arbitraries built from the OpenAPI document's JSON schemas: values the schema allows, and the
// hostile edge values every field must survive (NUL, lone surrogates, RTL marks, 10 kB strings, huge and
// non-decimal numbers, dates that do not exist, forged cursors).
import fc from 'fast-check'

export type JsonSchema = Record<string, unknown>

const cursor = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

export const EDGE_STRINGS = [
  '',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u200f\u202eevil\u202c',
  '\u0007\u001b[31m',
  'x'.repeat(10_240),
  ' ',
  '%00',
  "' or 1=1 --",
  '../../etc/passwd',
]
export const EDGE_NUMBERS = [0, -1, 2 ** 31, 2 ** 31 - 1, 2 ** 53, -(2 ** 53), 1.5, 1e308]
export const EDGE_NUMBER_TEXT = [
  'NaN',
  'Infinity',
  '-0',
  '0x10',
  '1e3',
  ' 7',
  '+7',
  '99999999999999999999999',
]
export const EDGE_DATES = [
  '2026-12-31T23:59:60Z',
  '10000-01-01T00:00:00Z',
  '2027-02-30T10:00:00Z',
  '0000-01-01T00:00:00Z',
  '2027-13-01T00:00:00Z',
  '2027-01-01T24:00:00Z',
]
export const EDGE_CURSORS = [
  cursor([2 ** 31]),
  cursor([2 ** 53]),
  cursor([-1]),
  cursor(['x']),
  cursor({}),
  '!!!!',
  'AAAA',
]

const edge = fc.constantFrom<unknown>(
  ...EDGE_STRINGS,
  ...EDGE_NUMBERS,
  ...EDGE_NUMBER_TEXT,
  ...EDGE_DATES,
  ...EDGE_CURSORS,
  null,
  true,
  [],
  {},
)

/** Values valid for `schema` (as far as a generator can tell without solving patterns). */
export function valid(schema: JsonSchema | undefined, ids: number[]): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined)
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  for (const key of ['anyOf', 'oneOf']) {
    const list = schema[key]
    if (Array.isArray(list) && list.length > 0)
      return fc.oneof(...list.map((s) => valid(s as JsonSchema, ids)))
  }
  switch (schema.type) {
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : -1000
      const max = typeof schema.maximum === 'number' ? Math.min(schema.maximum, 2 ** 31 - 1) : 1000
      return min >= 1 && ids.length > 0
        ? fc.oneof(fc.constantFrom(...ids), fc.integer({ min, max }))
        : fc.integer({ min, max })
    }
    case 'number':
      return fc.double({ min: 0, max: 1000, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'array':
      return fc.array(valid(schema.items as JsonSchema, ids), { maxLength: 3 })
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>
      const required = new Set((schema.required ?? []) as string[])
      return fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, valid(s, ids)])), {
        requiredKeys: Object.keys(props).filter((k) => required.has(k)),
      })
    }
    case 'string': {
      if (schema.format === 'date-time') {
        return fc
          .date({
            min: new Date('2020-01-01T00:00:00Z'),
            max: new Date('2035-01-01T00:00:00Z'),
            noInvalidDate: true,
          })
          .map((d) => d.toISOString())
      }
      if (schema.format === 'email') return fc.constantFrom('someone@example.com', 'x.y@example.org')
      if (schema.format === 'uri') return fc.constantFrom('https://example.com/hook', 'http://127.0.0.1/x')
      const max = typeof schema.maxLength === 'number' ? Math.min(schema.maxLength, 40) : 40
      const min = typeof schema.minLength === 'number' ? Math.min(schema.minLength, max) : 0
      return fc.string({ minLength: min, maxLength: max })
    }
    default:
      return fc.anything({ maxDepth: 1 })
  }
}

/** Mostly valid values with hostile ones mixed in, at every level of an object or array. */
export function hostile(schema: JsonSchema | undefined, ids: number[]): fc.Arbitrary<unknown> {
  if (schema?.type === 'object' && schema.properties) {
    const props = schema.properties as Record<string, JsonSchema>
    return fc.record(Object.fromEntries(Object.entries(props).map(([k, s]) => [k, hostile(s, ids)])), {
      requiredKeys: [],
    })
  }
  if (schema?.type === 'array') return fc.array(hostile(schema.items as JsonSchema, ids), { maxLength: 3 })
  return fc.oneof({ weight: 2, arbitrary: valid(schema, ids) }, { weight: 1, arbitrary: edge })
}

/** Text for a path or query parameter: valid values written out, or hostile text. */
export function paramText(schema: JsonSchema | undefined, ids: number[]): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 2, arbitrary: valid(schema, ids) },
      {
        weight: 1,
        arbitrary: fc.constantFrom<unknown>(
          ...EDGE_STRINGS,
          ...EDGE_NUMBERS,
          ...EDGE_NUMBER_TEXT,
          ...EDGE_DATES,
          ...EDGE_CURSORS,
        ),
      },
    )
    .map((v) => (Array.isArray(v) ? v.join(',') : String(v)))
}
