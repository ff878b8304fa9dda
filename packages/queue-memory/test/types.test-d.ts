import type { QueueDriver, QueueError } from '@anyqueue/queue-core/driver'
import { describe, expectTypeOf, test } from 'vitest'
import { createMemoryDriver, type MemoryDriver } from '../src/index.js'

describe('MemoryDriver types', () => {
  test('classifyError takes the error, as the contract does', () => {
    expectTypeOf<MemoryDriver['classifyError']>().parameters.toEqualTypeOf<[error: unknown]>()
    expectTypeOf<MemoryDriver['classifyError']>().returns.toEqualTypeOf<QueueError | undefined>()
  })

  test('a wrapper that passes the error on type-checks (it was TS2554)', () => {
    const driver = createMemoryDriver()
    const wrapped = {
      ...driver,
      classifyError: (error: unknown) => driver.classifyError(error),
    }
    expectTypeOf(wrapped.classifyError).toBeCallableWith(new Error('x'))
    expectTypeOf(driver).toExtend<QueueDriver>()
  })
})
