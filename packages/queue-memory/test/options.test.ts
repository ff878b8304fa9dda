import { driverOptionsTest } from '@anyqueue/conformance/vitest'
import { expect, test } from 'vitest'
import { createMemoryDriver } from '../src/index.js'

driverOptionsTest(new URL('../README.md', import.meta.url), 'memory', (options) =>
  createMemoryDriver(options),
)

test('a value of the wrong type is shown as given: leaseSeconds "5" is not the number 5', () => {
  expect(() => createMemoryDriver({ leaseSeconds: '5' as never })).toThrow(
    expect.objectContaining({ field: 'leaseSeconds', message: expect.stringContaining('got "5"') }),
  )
})
