import { QUEUE_NAME_PATTERN } from '@anyqueue/queue-core'
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { portableQueueName } from '../src/servicebus-list.js'
import { caseSafeName } from '../src/servicebus-names.js'

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).filter((n) => QUEUE_NAME_PATTERN.test(n))

test('distinct portable names map to entity names that differ even ignoring case', () => {
  fc.assert(
    fc.property(name, name, (a, b) => {
      if (a === b) return
      expect(caseSafeName(a).toLowerCase()).not.toBe(caseSafeName(b).toLowerCase())
    }),
    { numRuns: 2_000, seed: 20_261_123 },
  )
  // Pairs that differ only in case, which random pairs rarely are.
  fc.assert(
    fc.property(name, fc.nat(63), (n, i) => {
      const flipped = [...n].map((c, j) => (j === i % n.length ? flip(c) : c)).join('')
      if (flipped === n) return
      expect(caseSafeName(flipped).toLowerCase()).not.toBe(caseSafeName(n).toLowerCase())
    }),
    { numRuns: 2_000, seed: 20_261_123 },
  )
})

test('names without capitals keep their entity name; others are lower case with a mask', () => {
  expect(caseSafeName('jobs')).toBe('jobs')
  expect(caseSafeName('Jobs')).toBe('jobs.1')
  expect(caseSafeName('aB')).toBe('ab.2')
  expect(caseSafeName('A'.repeat(64))).toBe(`${'a'.repeat(64)}.ffffffffffffffff`)
})

test('listing maps every entity name back to its portable name, under any prefix, whatever case the backend reports', () => {
  const prefix = fc.stringMatching(/^[A-Za-z0-9_-]{0,16}$/)
  fc.assert(
    fc.property(name, prefix, fc.boolean(), (n, p, upper) => {
      const entity = p + caseSafeName(n)
      expect(portableQueueName(upper ? entity.toUpperCase() : entity, p)).toBe(n)
    }),
    { numRuns: 2_000, seed: 20_261_123 },
  )
})

test('listing leaves out entities no portable name maps to', () => {
  expect(portableQueueName('Orders', '')).toBe('orders') // the portable name that reaches it
  expect(portableQueueName('jobs.0', '')).toBeUndefined() // a mask without capitals
  expect(portableQueueName('jobs.10', '')).toBeUndefined() // a capital past the end
  expect(portableQueueName('j0bs.2', '')).toBeUndefined() // a capital where there is no letter
  expect(portableQueueName('jobs.01', '')).toBeUndefined() // not the canonical mask
  expect(portableQueueName('my.queue.1', '')).toBeUndefined()
  expect(portableQueueName('other-jobs', 'aq-')).toBeUndefined()
  expect(portableQueueName('AQ-jobs', 'aq-')).toBe('jobs')
})

function flip(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()
}
