// Schemas shared by every module: ids, problems, pagination envelopes.
import { type TSchema, Type } from 'typebox'

/** A database id: a positive 32-bit integer (larger values are a 400, never a database error). */
export const Id = Type.Integer({ minimum: 1, maximum: 2_147_483_647 })

export const IdParams = Type.Object({ id: Id })

export const Timestamp = Type.String({ format: 'date-time' })

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    request_id: Type.String(),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details with a stable machine `code`' },
)

/** The reference used in route response maps, so every problem points at one component in the OpenAPI document. */
export const ProblemRef = Type.Ref('Problem')

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
}

export const CursorQuery = {
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
