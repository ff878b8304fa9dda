import type { Entry, QueueIndex } from './queue-index.js'

/**
 * Receipt handles: `lq1.<queue>.<seq>.<token>`, the token being the delivery count of that lease; a
 * subscription's queue is its address `topic/subscription`.
 */
const HANDLE = /^lq1\.([A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64})?)\.([0-9a-f]{1,13})\.([1-9][0-9]{0,9})$/

export function isReceiptHandle(handle: string): boolean {
  return HANDLE.test(handle)
}

/** The handle of `seq`'s delivery number `token`; `prefix` is `handlePrefix(queue)`. */
export const formatHandle = (prefix: string, seq: number, token: number) =>
  `${prefix}${seq.toString(16)}.${token}`

export const handlePrefix = (queue: string) => `lq1.${queue}.`

const DOT = 46

/**
 * The entry whose current lease `handle` names, if `handle` is a handle of `queue` (exactly what
 * `HANDLE` matches, with `queue` as its queue) and that delivery is still the latest. Read with
 * character codes, not a regex match: an ack resolves one handle per message, and this way it
 * allocates nothing.
 */
export function leaseOf(index: QueueIndex, queue: string, handle: string): Entry | undefined {
  const end = handle.length
  let i = 4 + queue.length // past `lq1.<queue>`
  // Queue names hold no dot, so the queue part is what lies between `lq1.` and the next dot.
  if (
    end < i + 4 ||
    !handle.startsWith('lq1.') ||
    !handle.startsWith(queue, 4) ||
    handle.charCodeAt(i) !== DOT
  ) {
    return undefined
  }
  i += 1
  const seqStart = i
  let seq = 0
  for (; i < end; i++) {
    const c = handle.charCodeAt(i)
    if (c === DOT) break
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1
    if (digit < 0) return undefined
    seq = seq * 16 + digit
  }
  const seqDigits = i - seqStart
  if (seqDigits === 0 || seqDigits > 13 || i === end) return undefined
  i += 1
  const tokenDigits = end - i
  if (tokenDigits === 0 || tokenDigits > 10 || handle.charCodeAt(i) === 48) return undefined
  let token = 0
  for (; i < end; i++) {
    const c = handle.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
    token = token * 10 + (c - 48)
  }
  return index.current(seq, token)
}
