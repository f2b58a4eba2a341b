// The value rules every request schema shares, applied once where routes are registered instead of in each
// module: strings without a format of their own are `text` (no NUL, no stray control character, no lone
// surrogate), arrays have a bound, and integers in a path or query string are written in decimal.
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { AppError, invalid, notFound } from '../lib/errors.js'

/** Items a request array may hold when its schema sets no bound of its own. */
export const DEFAULT_MAX_ITEMS = 1000
/** Characters a request string may hold when its schema sets no bound of its own (the OpenAPI document says so). */
export const DEFAULT_MAX_LENGTH = 100_000

type Schema = Record<string, unknown>

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Adds the shared rules to `schema` in place (schemas are shared constants: adding them twice is a no-op). */
export function hardenSchema(schema: unknown): void {
  if (!isSchema(schema)) return
  if (schema.type === 'string' && schema.format === undefined && schema.const === undefined) {
    schema.format = 'text'
  }
  if (schema.type === 'string' && schema.maxLength === undefined && schema.enum === undefined) {
    schema.maxLength = DEFAULT_MAX_LENGTH
  }
  if (schema.type === 'array' && schema.maxItems === undefined) schema.maxItems = DEFAULT_MAX_ITEMS
  for (const key of ['items', 'additionalProperties', 'not', 'if', 'then', 'else']) hardenSchema(schema[key])
  for (const key of ['properties', 'patternProperties']) {
    const children = schema[key]
    if (isSchema(children)) for (const child of Object.values(children)) hardenSchema(child)
  }
  for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) {
    const list = schema[key]
    if (Array.isArray(list)) for (const child of list) hardenSchema(child)
  }
}

interface IntegerField {
  name: string
  /** The schema's own `maximum`, when the integer is a plain one (an id: 2,147,483,647). */
  maximum?: number
}

/** The integer properties of a params or querystring schema (directly, in a union, or as array items). */
function integerFields(schema: unknown): IntegerField[] {
  if (!isSchema(schema) || !isSchema(schema.properties)) return []
  const isInteger = (s: unknown): boolean =>
    isSchema(s) &&
    (s.type === 'integer' ||
      (s.type === 'array' && isInteger(s.items)) ||
      (Array.isArray(s.anyOf) && s.anyOf.some(isInteger)))
  return Object.entries(schema.properties)
    .filter(([, s]) => isInteger(s))
    .map(([name, s]) => ({
      name,
      maximum: isSchema(s) && typeof s.maximum === 'number' ? s.maximum : undefined,
    }))
}

// Canonical decimal: no leading zeros, so one resource has one URL (and one cache entry, one ETag). Any number of
// digits: a value past the schema's bounds is said as such ("must be <= 2147483647"), not as "not decimal".
const DECIMAL = /^(?:0|-?[1-9]\d*)$/
const POSITIVE = /^[1-9]\d*$/

/** Whether the decimal text `digits` is above `maximum`, however many digits it has. */
const above = (digits: string, maximum: number) =>
  digits.length > String(maximum).length ||
  (digits.length === String(maximum).length && digits > String(maximum))

/**
 * The validator coerces text to numbers the way JavaScript does (`0x10` is 16, `1e1` is 10, ` 16` is 16,
 * `016` is 16): ids and numbers in a path or query string must be plain decimal digits without leading zeros
 * instead, checked on the raw text.
 */
const NOT_DECIMAL = 'must be a decimal integer, without leading zeros'

function decimalCheck(part: 'params' | 'query', fields: IntegerField[]) {
  // A callback hook, not an async one: no promise and no microtask per request on every route that takes an id.
  return (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    const values = req[part] as Record<string, unknown> | undefined
    if (!values) {
      done()
      return
    }
    for (const { name, maximum } of fields) {
      const value = values[name]
      for (const item of Array.isArray(value) ? value : [value]) {
        // A path's id past the largest the server gives (2,147,483,647) is a well-formed id of nothing: 404, as
        // any id that names nothing. In a query or a body it stays a value out of range (400).
        if (part === 'params' && maximum !== undefined && typeof item === 'string' && POSITIVE.test(item)) {
          if (above(item, maximum)) {
            done(notFound())
            return
          }
        }
        if (typeof item === 'string' && !DECIMAL.test(item)) {
          const path = `${part === 'params' ? 'params' : 'querystring'}.${name}`
          done(
            new AppError('VALIDATION_FAILED', `${path} ${NOT_DECIMAL}`, {
              errors: [{ path, message: NOT_DECIMAL }],
            }),
          )
          return
        }
      }
    }
    done()
  }
}

/**
 * A body schema's `minProperties` counted among the fields it knows: the validator counts before it strips
 * unknown fields, so `{"foo": 1}` passed a change that must name one field, and changed nothing with a 200.
 */
function knownFieldsCheck(min: number, known: string[]) {
  const needs = min === 1 ? 'at least one of its fields' : `at least ${min} of its fields`
  return (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
    if (isSchema(req.body) && Object.keys(req.body).length < min) {
      done(invalid('body', `must name ${needs}: ${known.join(', ')} (unknown fields are ignored)`))
      return
    }
    done()
  }
}

/**
 * The onRoute hook: hardens the route's request schemas, adds the decimal check of its integers, and counts a
 * body's `minProperties` among its known fields.
 */
export function hardenRequestSchemas(route: RouteOptions): void {
  const schema = route.schema
  if (!schema) return
  for (const part of [schema.params, schema.querystring, schema.body, schema.headers]) hardenSchema(part)
  const body = schema.body
  if (isSchema(body) && typeof body.minProperties === 'number' && isSchema(body.properties)) {
    const existing = route.preHandler ? [route.preHandler].flat() : []
    const check = knownFieldsCheck(body.minProperties, Object.keys(body.properties))
    route.preHandler = [check, ...existing] as RouteOptions['preHandler']
  }
  const checks = [
    ...[integerFields(schema.params)].filter((f) => f.length > 0).map((f) => decimalCheck('params', f)),
    ...[integerFields(schema.querystring)].filter((f) => f.length > 0).map((f) => decimalCheck('query', f)),
  ]
  if (checks.length === 0) return
  const existing = route.preValidation ? [route.preValidation].flat() : []
  route.preValidation = [...checks, ...existing] as RouteOptions['preValidation']
}
