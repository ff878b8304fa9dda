import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { formatHandle, handlePrefix, isReceiptHandle, leaseOf } from './handles.js'
import { QueueIndex } from './queue-index.js'

/** What `leaseOf` must agree with: the handle grammar, read with a regex match. */
const HANDLE = /^lq1\.([A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64})?)\.([0-9a-f]{1,13})\.([1-9][0-9]{0,9})$/

/** An index that answers `current(seq, token)` by echoing what it was asked. */
function echoIndex() {
  const index = new QueueIndex(0, 0, 0)
  index.current = (seq, token) => ({ seq, deliveries: token }) as ReturnType<QueueIndex['current']>
  return index
}

const queueName = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}(\/[A-Za-z0-9_-]{1,8})?$/)
/** A queue and a string to read as its handle: anything, near misses, and handles of other queues. */
const queueAndHandle = fc.oneof(
  fc.tuple(queueName, fc.string()),
  // A real handle with one character changed, dropped or added.
  fc
    .tuple(
      queueName,
      fc.nat(2 ** 52 - 1),
      fc.integer({ min: 1, max: 9_999_999_999 }),
      fc.nat(40),
      fc.string({ maxLength: 2 }),
    )
    .map(([queue, seq, token, at, insert]) => {
      const handle = formatHandle(handlePrefix(queue), seq, token)
      return [queue, handle.slice(0, at) + insert + handle.slice(at + (insert.length === 0 ? 1 : 0))] as const
    }),
  // The queue's prefix, then seqs and tokens of every length, case and leading digit.
  fc
    .tuple(queueName, fc.stringMatching(/^[0-9a-fA-F.]{0,16}$/), fc.stringMatching(/^[0-9.]{0,12}$/))
    .map(([queue, seq, token]) => [queue, `lq1.${queue}.${seq}.${token}`] as const),
  // A handle of another queue.
  fc
    .tuple(queueName, queueName, fc.nat(2 ** 52 - 1), fc.integer({ min: 1, max: 9_999_999_999 }))
    .map(([queue, other, seq, token]) => [queue, formatHandle(handlePrefix(other), seq, token)] as const),
)

describe('receipt handles', () => {
  test('leaseOf reads exactly what the handle grammar accepts, for the queue it names', () => {
    const index = echoIndex()
    fc.assert(
      fc.property(queueAndHandle, ([queue, handle]) => {
        const match = HANDLE.exec(handle)
        const expected =
          match && match[1] === queue
            ? { seq: Number.parseInt(match[2]!, 16), deliveries: Number(match[3]) }
            : undefined
        expect(leaseOf(index, queue, handle)).toEqual(expected)
        expect(isReceiptHandle(handle)).toBe(match !== null)
      }),
      { seed: 15, numRuns: 20_000 },
    )
  })

  test('a formatted handle reads back as its seq and token, and only for its own queue', () => {
    const index = echoIndex()
    fc.assert(
      fc.property(
        queueName,
        queueName,
        fc.nat(2 ** 52 - 1),
        fc.integer({ min: 1, max: 9_999_999_999 }),
        (queue, other, seq, token) => {
          const handle = formatHandle(handlePrefix(queue), seq, token)
          expect(isReceiptHandle(handle)).toBe(true)
          expect(leaseOf(index, queue, handle)).toEqual({ seq, deliveries: token })
          if (other !== queue) expect(leaseOf(index, other, handle)).toBeUndefined()
        },
      ),
      { seed: 15 },
    )
  })
})
