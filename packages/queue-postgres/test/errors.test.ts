import { describe, expect, test } from 'vitest'
import { classifyPostgresError, createPostgresDriver } from '../src/index.js'

/** An error as pg reports a server error: an Error with the SQLSTATE as `code`. */
function serverError(code: string, message = 'server says no'): Error {
  return Object.assign(new Error(message), { code })
}

describe('classifyPostgresError', () => {
  test.each([
    ['57P01', true],
    ['57P03', true],
    ['40001', true],
    ['40P01', true],
    ['08006', true],
    ['08P01', true],
    ['53200', true],
    ['53300', true],
  ])('%s is UNAVAILABLE, retryable', (code, retryable) => {
    const error = classifyPostgresError(serverError(code), 'jobs')
    expect(error?.code).toBe('UNAVAILABLE')
    expect(error?.retryable).toBe(retryable)
  })

  test('53100 (disk full) is typed and not retryable, saying what to do', () => {
    const error = classifyPostgresError(serverError('53100'), 'jobs')
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: false })
    expect(error?.message).toMatch(/disk space.*free space/)
  })

  test('a permission error is PERMISSION_DENIED naming the schema', () => {
    const error = classifyPostgresError(serverError('42501', 'permission denied for table messages'), 'jobs')
    expect(error).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false })
    expect(error?.message).toContain('schema "jobs"')
  })

  test.each(['3F000', '42P01'])('%s (missing schema or table) names the migration', (code) => {
    const error = classifyPostgresError(serverError(code), 'jobs')
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: false })
    expect(error?.message).toContain('migratePostgres')
  })

  test.each([
    new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  ])('connection loss is UNAVAILABLE, retryable: %s', (cause) => {
    expect(classifyPostgresError(cause, 'jobs')).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
  })

  test('a bug (a syntax error, a TypeError) is not classified', () => {
    expect(classifyPostgresError(serverError('42601'), 'jobs')).toBeUndefined()
    expect(classifyPostgresError(new TypeError('x is undefined'), 'jobs')).toBeUndefined()
  })
})

describe('options', () => {
  test('a schema name that is not a plain identifier is refused before any I/O', () => {
    expect(() => createPostgresDriver({ schema: 'Jobs; DROP TABLE x' })).toThrow(/schema must be/)
  })

  test('an unknown option is refused by name', () => {
    expect(() => createPostgresDriver({ shcema: 'x' } as never)).toThrow(/options.shcema/)
  })

  test('a connection is opened lazily: creating and closing a driver touches no server', async () => {
    const driver = createPostgresDriver({ connectionString: 'postgres://nobody@127.0.0.1:1/none' })
    await driver.close()
  })
})
