import { describeArgument, readOptions } from './arguments.js'
import type { ClientLink } from './client-link.js'
import type { OutgoingMessage, SendResult } from './contract.js'
import { QueueError } from './errors.js'
import { ATTRIBUTE_NAME_PATTERN, LIMITS } from './limits.js'
import type { BatchResult } from './messages.js'
import { encodePayload } from './payload.js'
import { backoffDelay, sleep } from './retry.js'

/**
 * What `sendBatch` and `publishBatch` share on the way out: checking and encoding the entries,
 * adding trace context, and sending in driver-sized chunks with per-message retries.
 */

const ENTRY_FIELDS = ['payload', 'delaySeconds', 'attributes'] as const

/**
 * Checks a batch as a whole (1 to 10 entries, each payload, delay and attributes) and encodes it, so
 * an invalid entry rejects the call before anything is sent. `delayOf` checks an entry's
 * `delaySeconds` (undefined when absent) and returns the delay to send with.
 */
export function encodeBatch(
  entries: unknown,
  call: 'sendBatch' | 'publishBatch',
  delayOf: (value: unknown, field: string) => number,
): OutgoingMessage[] {
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > LIMITS.maxBatch) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `${call} takes 1 to ${LIMITS.maxBatch} messages, got ${Array.isArray(entries) ? entries.length : describeArgument(entries)}`,
      { field: 'messages', limit: LIMITS.maxBatch },
    )
  }
  const single = entries.length === 1
  return Array.from(entries, (item, i) => {
    const field = single ? '' : `messages[${i}].`
    // A received message may be sent on as it is: its other fields are not options.
    const entry = readOptions(item, single ? 'message' : `messages[${i}]`, ENTRY_FIELDS, true, 'ignore')
    const { body, contentType, bytes } = encodePayload(entry.payload, `${field}payload`)
    const delaySeconds = delayOf(entry.delaySeconds, `${field}delaySeconds`)
    const attributes = checkAttributes(
      entry.attributes as Record<string, string> | undefined,
      `${field}attributes`,
    )
    return { body, contentType, bytes, delaySeconds, attributes }
  })
}

/** Trace context rides along where the message has room for it; the user's own attributes win. */
export function addTraceContext(messages: OutgoingMessage[], carrier: Record<string, string>): void {
  for (const message of messages) {
    const extra = Object.entries(carrier).filter(([name]) => !(name in message.attributes))
    if (Object.keys(message.attributes).length + extra.length <= LIMITS.maxAttributes) {
      message.attributes = { ...message.attributes, ...Object.fromEntries(extra) }
    }
  }
}

/**
 * Sends `messages` in chunks of `size` through `send`, retrying only the messages that failed
 * retryably, with the client's backoff; one result per message, in order. `queue` names the queue
 * in errors (a topic passes none).
 *
 * This loop is the only retry of a send: a chunk that fails as a whole counts as each of its
 * messages failing once, so a message is in at most `maxAttempts` driver calls (4 at the defaults),
 * whether the backend refused it alone or the whole call failed.
 */
export async function sendWithRetry(
  client: ClientLink,
  messages: OutgoingMessage[],
  size: number,
  queue: string | undefined,
  send: (chunk: OutgoingMessage[]) => Promise<SendResult[]>,
): Promise<BatchResult[]> {
  const results: BatchResult[] = new Array(messages.length)
  const { maxAttempts, initialDelayMs, maxDelayMs } = client.retryPolicy
  let pending = messages.map((_, i) => i)
  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: number[] = []
    const chunks: number[][] = []
    for (let i = 0; i < pending.length; i += size) chunks.push(pending.slice(i, i + size))
    await Promise.all(
      chunks.map(async (chunk) => {
        const outcome = await client
          .execute(() => send(chunk.map((i) => messages[i]!)), queue, false)
          .then(
            (r) => r,
            (error: unknown) => chunk.map(() => ({ error })),
          )
        chunk.forEach((index, j) => {
          const result = outcome[j]
          if (result && 'id' in result) {
            results[index] = { ok: true, id: result.id }
            return
          }
          const error = client.classify(result?.error ?? new Error('driver returned no result'), queue)
          if (error === undefined) throw result?.error
          if (error.retryable && attempt < maxAttempts) retry.push(index)
          else results[index] = { ok: false, error }
        })
      }),
    )
    pending = retry
    if (pending.length > 0) await sleep(backoffDelay(attempt - 1, initialDelayMs, maxDelayMs))
  }
  return results
}

/**
 * Checks attributes and copies them in the same pass: each value is read once, so what was checked
 * is what is sent.
 */
export function checkAttributes(
  value: Record<string, string> | undefined,
  field: string,
): Record<string, string> {
  if (value === undefined) return {}
  let names: string[]
  try {
    if (!isPlainObject(value)) {
      throw new QueueError('INVALID_ARGUMENT', `${field} must be a plain object of string values`, { field })
    }
    names = Object.keys(value)
  } catch (error) {
    if (QueueError.isInstance(error)) throw error
    throw new QueueError('INVALID_ARGUMENT', `${field} could not be read`, { field, cause: error })
  }
  const copy: Record<string, string> = {}
  if (names.length > LIMITS.maxAttributes) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `${field} has ${names.length} entries; the limit is ${LIMITS.maxAttributes}`,
      {
        field,
        limit: LIMITS.maxAttributes,
      },
    )
  }
  for (const name of names) {
    if (!ATTRIBUTE_NAME_PATTERN.test(name)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `${field} name ${JSON.stringify(name)} must be a letter then up to 63 of A-Z, a-z, 0-9, "_", "-", and not start with aws, amazon, goog, x-opt- or content-`,
        { field: `${field}.${name}`, ...(name.length > 64 && { limit: 64 }) },
      )
    }
    let v: unknown
    try {
      v = value[name]
    } catch (error) {
      throw new QueueError('INVALID_ARGUMENT', `${field}.${name} could not be read`, {
        field: `${field}.${name}`,
        cause: error,
      })
    }
    if (typeof v !== 'string' || !v.isWellFormed()) {
      throw new QueueError('INVALID_ARGUMENT', `${field}.${name} must be a well-formed string`, {
        field: `${field}.${name}`,
      })
    }
    const bytes = Buffer.byteLength(v)
    // Empty values are refused too: SQS cannot carry them.
    if (bytes === 0 || bytes > LIMITS.maxAttributeValueBytes) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `${field}.${name} is ${bytes} bytes; values are 1 to ${LIMITS.maxAttributeValueBytes} bytes (UTF-8)`,
        { field: `${field}.${name}`, limit: LIMITS.maxAttributeValueBytes },
      )
    }
    copy[name] = v
  }
  return copy
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
