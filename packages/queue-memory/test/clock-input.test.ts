// Clocks given by a caller (issue 27): a clock that is not one, or a time that is not a number, is
// INVALID_ARGUMENT — never a raw TypeError on send, nor leases that never hold.
import { QueueClient } from '@anyqueue/queue-core'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { createMemoryDriver, ManualClock } from '../src/index.js'

test('new ManualClock(NaN) or Infinity is INVALID_ARGUMENT', () => {
  for (const start of [Number.NaN, Number.POSITIVE_INFINITY, '5' as unknown as number]) {
    expect(() => new ManualClock(start)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'start' }),
    )
  }
})

test('a clock without its functions, or whose getter throws, is refused when the driver is made', () => {
  const throwing = Object.defineProperty({}, 'now', {
    get: () => {
      throw new Error('boom')
    },
  })
  for (const clock of [{}, null, 5, { now: () => 1 }, throwing]) {
    expect(() => createMemoryDriver({ clock: clock as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'clock' }),
    )
  }
})

test('property: a clock whose now() is not a finite number fails the call with INVALID_ARGUMENT', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -Infinity, undefined, '1', null),
      async (bad) => {
        const real = new ManualClock(0)
        const clock = {
          now: () => bad as number,
          setTimeout: real.setTimeout.bind(real),
          clearTimeout: real.clearTimeout.bind(real),
        }
        const client = new QueueClient(createMemoryDriver({ clock, createIfMissing: true }), { retry: false })
        await expect(client.queue('q').send('x')).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
          field: 'clock',
        })
        await client.close()
      },
    ),
    { seed: 20_261_207, numRuns: 20 },
  )
})
