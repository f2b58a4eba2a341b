// Which database failures are the dependency's (503 with Retry-After) and which are the request's (400).
import { describe, expect, it } from 'vitest'
import { databaseUnavailable, dataException } from '../../src/db/errors.js'

const pgError = (code: string) => Object.assign(new Error('failed'), { code })
// drizzle wraps the driver's error with the statement text and parameters.
const wrapped = (cause: unknown) => Object.assign(new Error('Failed query: select 1\nparams: '), { cause })

describe('database failure classes', () => {
  it.each(['08000', '08003', '08006', '08001', '08004', '57P01', '57P02', '57P03', '53300'])(
    'SQLSTATE %s (connection lost or refused, admin shutdown, too many clients) is unavailable, not a data error',
    (code) => {
      expect(databaseUnavailable(wrapped(pgError(code)))).toBe(true)
      expect(dataException(wrapped(pgError(code)))).toBe(false)
    },
  )

  it.each(['ECONNREFUSED', 'ECONNRESET'])('a socket error %s is unavailable', (code) => {
    expect(databaseUnavailable(wrapped(pgError(code)))).toBe(true)
  })

  it('a connection terminated under a query is unavailable', () => {
    expect(databaseUnavailable(wrapped(new Error('Connection terminated unexpectedly')))).toBe(true)
  })

  it.each(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05'])(
    'SQLSTATE %s is a data exception',
    (code) => {
      expect(dataException(wrapped(pgError(code)))).toBe(true)
      expect(databaseUnavailable(wrapped(pgError(code)))).toBe(false)
    },
  )

  it('a unique violation or a bug is neither', () => {
    for (const err of [pgError('23505'), pgError('42P01'), new TypeError('x is undefined')]) {
      expect(databaseUnavailable(wrapped(err))).toBe(false)
      expect(dataException(wrapped(err))).toBe(false)
    }
  })
})
