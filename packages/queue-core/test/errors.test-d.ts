import { describe, expectTypeOf, test } from 'vitest'
import { isQueueError, QueueError, type QueueErrorCode } from '../src/index.js'

describe('isQueueError', () => {
  test('with a code, narrows `code` to that literal', () => {
    const error: unknown = new QueueError('MESSAGE_TOO_LARGE', 'too large', {
      field: 'payload',
      limit: 65_536,
    })
    if (isQueueError(error, 'MESSAGE_TOO_LARGE')) {
      expectTypeOf(error.code).toEqualTypeOf<'MESSAGE_TOO_LARGE'>()
      expectTypeOf(error).toExtend<QueueError>()
      // @ts-expect-error the narrowed code cannot be compared with another code
      if (error.code === 'CLOSED') throw error
    }
  })

  test('without a code, keeps the whole union', () => {
    const error: unknown = new Error('x')
    if (isQueueError(error)) expectTypeOf(error.code).toEqualTypeOf<QueueErrorCode>()
  })

  test('rejects a code that does not exist', () => {
    // @ts-expect-error not a QueueErrorCode
    isQueueError(new Error('x'), 'NOPE')
  })

  test('the constructor infers the code', () => {
    expectTypeOf(new QueueError('CLOSED', 'closed').code).toEqualTypeOf<'CLOSED'>()
  })
})
