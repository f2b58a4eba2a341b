// Schemas shared by every module: ids, problems, pagination envelopes.
import Ajv, { type Options as AjvOptions } from 'ajv'
import addFormats from 'ajv-formats'
import { type TSchema, Type } from 'typebox'

/** A database id: a positive 32-bit integer (larger values are a 400, never a database error). */
export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 })

export const IdParams = Type.Object({ id: Id })

export const Timestamp = Type.String({ format: 'date-time' })

/*
 * Text formats. Every request string without a format of its own is checked as `text` (the validator adds it,
 * see plugins/errors.ts); `line` is for single-line values (names, titles, search terms). PostgreSQL refuses NUL
 * in text and a lone surrogate cannot be encoded as UTF-8, so neither may reach a query.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const C0_BUT_WHITESPACE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const C0 = /[\u0000-\u001F\u007F-\u009F]/
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Multi-line text: tab, CR and LF allowed; other control characters (C0, DEL, C1) and lone surrogates refused. */
export const isText = (s: string): boolean => !C0_BUT_WHITESPACE.test(s) && !LONE_SURROGATE.test(s)
/**
 * The characters that re-order the text after them (embeddings, overrides, isolates): in a name or a title
 * they would spill into what a page shows beside it (a name's "(@handle)" shown reversed). Right-to-left names
 * need none of them: their letters carry their direction.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/
/** The line and paragraph separators: a line break as surely as `\n`. */
const SEPARATORS = /[\u2028\u2029]/
/**
 * Single-line text: no control character at all (C0, DEL, C1, direction controls), no line or paragraph
 * separator, no lone surrogate.
 */
export const isLine = (s: string): boolean =>
  !C0.test(s) && !BIDI_CONTROLS.test(s) && !SEPARATORS.test(s) && !LONE_SURROGATE.test(s)

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d{1,9})?([Zz]|([+-])(\d\d):(\d\d))$/

/**
 * RFC 3339 date-time that names an instant that exists and that both `Date` and PostgreSQL hold: years
 * 0001–9999, a real day of its month, no leap second (`23:59:60` does not round-trip through `Date`).
 */
export function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s)
  if (!m) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (year < 1 || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate() // leap-year Feb as a first bound
  if (day < 1 || day > daysInMonth) return false
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false
  if (m[9] && (Number(m[10]) > 23 || Number(m[11]) > 59)) return false
  const t = Date.parse(s)
  if (Number.isNaN(t)) return false
  const utcYear = new Date(t).getUTCFullYear()
  return utcYear >= 1 && utcYear <= 9999
}

/** A calendar day (`2026-12-24`) that exists, in the years `isDateTime` allows. */
const isDate = (s: string): boolean => /^\d{4}-\d\d-\d\d$/.test(s) && isDateTime(`${s}T00:00:00Z`)

const FORMATS = {
  text: isText,
  line: isLine,
  date: isDate,
  'date-time': isDateTime,
} as const

/**
 * A validator that knows the standard formats and ours. The one way to make one: the API's (plugins/errors.ts)
 * and the pages' forms (web/page.ts) must refuse the same strings.
 */
export function validatorWithFormats(options: AjvOptions): Ajv.default {
  const ajv = addFormats.default(new Ajv.default(options))
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate })
  return ajv
}

/**
 * The pattern of a value that must hold something one can see (a name, a title, a body, a search term): a
 * character that is not white space, not a control character, and not one of the characters that show nothing
 * (zero-width spaces and joiners, direction marks and overrides, word joiners, the soft hyphen, variation
 * selectors, the Hangul and Braille blanks). Written without `\p{…}`, so clients that compile the OpenAPI
 * document's patterns without the `u` flag read it the same.
 */
export const NOT_BLANK =
  '[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F' +
  '\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u206F\\u2800\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF0-\\uFFFB]'

/** A single-line string: a name, a title, a search term. */
export const Line = (opts: {
  minLength?: number
  maxLength: number
  pattern?: string
  description?: string
}) => Type.String({ ...opts, format: 'line' })

/** Multi-line text (a body, a bio, a description): tabs and line breaks allowed. */
export const Text = (opts: { minLength?: number; maxLength: number; description?: string }) =>
  Type.String({ ...opts, format: 'text' })

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    checked_in_at: Type.Optional(
      Type.String({ format: 'date-time', description: 'ALREADY_CHECKED_IN: when the ticket was checked in' }),
    ),
    ticket_id: Type.Optional(Type.Integer({ description: 'ALREADY_CHECKED_IN: the ticket the code is of' })),
    request_id: Type.String(),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details with a stable machine `code`' },
)

/** The reference used in route response maps, so every problem points at one component in the OpenAPI document. */
export const ProblemRef = Type.Ref('Problem')

/**
 * A sum of money in minor units (an invoice's amount, a section's revenue): many prices added up pass 32 bits,
 * so the OpenAPI document says int64, up to the largest integer a JSON number keeps exactly.
 */
export const MoneySum = (description: string) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description })

/**
 * `sort` on a list that has one order. The contract allows `sort` only on the fields a list documents, so any
 * value here is 400, not silently ignored.
 */
export const NoSort = Type.Optional(
  Type.Never({ description: 'This list has one order: any sort is refused (400)' }),
)

export const PageQuery = {
  sort: NoSort,
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
}

export const CursorQuery = {
  sort: NoSort,
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}

/** `?sort=field` or `?sort=-field`, restricted to the fields a list documents. */
export const SortQuery = (fields: readonly string[]) =>
  Type.Optional(
    Type.Union(
      fields.flatMap((f) => [Type.Literal(f), Type.Literal(`-${f}`)]),
      { description: `One of ${fields.join(', ')}; prefix with - for descending` },
    ),
  )

export const Paginated = <T extends TSchema>(item: T) =>
  Type.Object({
    data: Type.Array(item),
    page: Type.Integer(),
    per_page: Type.Integer(),
    total: Type.Integer(),
    total_pages: Type.Integer(),
  })

export const CursorPage = <T extends TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) })

export const Empty = Type.Unsafe<void>({ type: 'null', description: 'No content' })

/** A LIKE pattern matching `q` anywhere, with LIKE's own wildcards escaped. Compare against lower(column). */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
