import { describeArgument, readOptions } from './arguments.js'
import { isQueueError, QueueError } from './errors.js'
import { ATTRIBUTE_NAME_PATTERN, LIMITS } from './limits.js'
import type { Payload } from './payload.js'
import { checkQueue, type Message, type Queue } from './queue.js'

/** Attributes a dead-lettered message carries, beside up to 5 of its own. */
export const DEAD_LETTER_ATTRIBUTES = {
  reason: 'dlq-reason',
  attempts: 'dlq-attempts',
  source: 'dlq-source',
} as const

/**
 * The attribute a redriven message carries: the id it had in the queue it was redriven from (the
 * dead letter's id, as `peek`/`receive` on that queue showed it), so a redriven message can be
 * traced back. Kept where the message has room for it (fewer than 8 attributes of its own).
 */
export const REDRIVE_ATTRIBUTES = {
  originalId: 'dlq-original-id',
} as const

const MAX_REASON_BYTES = 1_024

/**
 * The body of an undecodable message (see `Message.decodeError`) as it goes to a dead-letter queue:
 * its raw text when that is valid UTF-8 (a JSON content type over a body that is not JSON), else
 * its raw bytes in base64 with `dlq-body-encoding: base64`; the original content type, if any, in
 * `dlq-content-type`. Nothing of the body is lost either way.
 */
export const DEAD_LETTER_BODY_ATTRIBUTES = {
  encoding: 'dlq-body-encoding',
  contentType: 'dlq-content-type',
} as const

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function deadLetterBody(message: Message<Payload>): { payload: Payload; extra: Record<string, string> } {
  if (message.decodeError === undefined) return { payload: message.payload, extra: {} }
  const raw = message.rawBody ?? new Uint8Array()
  const extra: Record<string, string> = {}
  const contentType = message.rawContentType
  if (contentType && isSendableAttribute(DEAD_LETTER_BODY_ATTRIBUTES.contentType, contentType)) {
    extra[DEAD_LETTER_BODY_ATTRIBUTES.contentType] = contentType
  }
  let payload: string
  try {
    payload = STRICT_UTF8.decode(raw)
  } catch {
    payload = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
    extra[DEAD_LETTER_BODY_ATTRIBUTES.encoding] = 'base64'
  }
  return { payload, extra }
}

/**
 * Sends `message` to `deadLetterQueue` with why and after how many attempts. Resolves once it is
 * there. It must not fail for anything about the message itself, or the message would come back
 * forever: an undecodable body goes as its raw text or base64 (see `DEAD_LETTER_BODY_ATTRIBUTES`),
 * attributes the portable layer could not send (from another producer) are left out, and a payload
 * it cannot re-send — JSON nested deeper than 64 levels, an escaped lone surrogate, a body larger
 * than 65,536 bytes — goes as JSON text (cut to the limit if it must be), and the reason says so.
 */
export async function sendToDeadLetter(
  deadLetterQueue: Queue<any>,
  source: Queue<any>,
  message: Message<Payload>,
  reason: string,
): Promise<void> {
  const { payload, extra } = deadLetterBody(message)
  const own = Object.entries(message.attributes)
    .filter(([name, value]) => !name.startsWith('dlq-') && isSendableAttribute(name, value))
    .slice(0, 5 - Object.keys(extra).length)
  const attributes = (why: string) => ({
    ...Object.fromEntries(own),
    ...extra,
    // Attribute values must be well-formed: a reason built from a thrown string with a lone
    // surrogate would otherwise fail the send, and the message would come back forever.
    [DEAD_LETTER_ATTRIBUTES.reason]: truncateUtf8(
      String(why || 'no reason given').toWellFormed(),
      MAX_REASON_BYTES,
    ),
    [DEAD_LETTER_ATTRIBUTES.attempts]: String(message.attempt),
    [DEAD_LETTER_ATTRIBUTES.source]: source.name,
  })
  try {
    await deadLetterQueue.send(payload, { attributes: attributes(reason) })
  } catch (error) {
    if (!isQueueError(error, 'INVALID_PAYLOAD') && !isQueueError(error, 'MESSAGE_TOO_LARGE')) throw error
    const text = asText(payload)
    await deadLetterQueue.send(text.body, {
      attributes: attributes(`${reason} [payload kept as ${text.how}: ${error.message}]`),
    })
  }
}

/** The payload as text the portable layer can always send: JSON text, cut to the size limit. */
function asText(payload: Payload): { body: string; how: string } {
  let body: string
  try {
    body = typeof payload === 'string' ? payload : (JSON.stringify(payload) ?? String(payload))
  } catch {
    return { body: '(the payload could not be written as text)', how: 'a placeholder' }
  }
  body = body.toWellFormed()
  if (Buffer.byteLength(body) <= LIMITS.maxPayloadBytes) return { body, how: 'JSON text' }
  return {
    body: truncateUtf8(body, LIMITS.maxPayloadBytes),
    how: `JSON text cut to ${LIMITS.maxPayloadBytes} bytes`,
  }
}

function isSendableAttribute(name: string, value: unknown): boolean {
  if (!ATTRIBUTE_NAME_PATTERN.test(name) || typeof value !== 'string' || !value.isWellFormed()) return false
  const bytes = Buffer.byteLength(value)
  return bytes > 0 && bytes <= LIMITS.maxAttributeValueBytes
}

/**
 * Counts the messages in a queue by leasing them all and releasing them at once: every driver can do
 * that, and for a dead-letter queue, which nobody else consumes, it is exact. It holds each message
 * for a moment, so do not count a queue that live consumers read.
 */
export async function countMessages(queue: Queue<any>): Promise<number> {
  checkQueue(queue, 'queue')
  const seen = new Map<string, string>()
  for (;;) {
    const got = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
    // Nothing left, or only messages already counted: a lease ran out mid-count, or a backend does
    // not hide leased messages at all. Either way there is nothing new to count, and going on
    // would never end.
    if (got.every((m) => seen.has(m.id))) break
    for (const m of got) seen.set(m.id, m.receiptHandle)
  }
  await Promise.all([...seen.values()].map((handle) => queue.nack(handle)))
  return seen.size
}

/**
 * What a message moved out of a dead-letter queue is sent with: its own attributes (the `dlq-` ones
 * are dropped) and, where there is room, the id it had there as `dlq-original-id`.
 */
export function redrivenAttributes(
  message: Pick<Message<unknown>, 'id' | 'attributes'>,
): Record<string, string> {
  const own = Object.entries(message.attributes).filter(([name]) => !name.startsWith('dlq-'))
  if (own.length < LIMITS.maxAttributes) own.push([REDRIVE_ATTRIBUTES.originalId, message.id])
  return Object.fromEntries(own)
}

/**
 * Moves up to `limit` messages from a dead-letter queue back to `target` with their payload and
 * own attributes (the `dlq-` ones are dropped; the id each had in the dead-letter queue goes along
 * as `dlq-original-id`). Each is sent before it is acked, so a failure
 * midway duplicates at worst, never loses. Resolves with how many were moved.
 */
export async function redrive(
  deadLetterQueue: Queue<any>,
  target: Queue<any>,
  options: { limit?: number } = {},
): Promise<number> {
  checkQueue(deadLetterQueue, 'deadLetterQueue')
  checkQueue(target, 'target')
  const { limit = Number.POSITIVE_INFINITY } = readOptions(options, 'options', ['limit'])
  if (
    typeof limit !== 'number' ||
    !(limit >= 0) ||
    (limit !== Number.POSITIVE_INFINITY && !Number.isInteger(limit))
  ) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `limit must be a whole number ≥ 0, got ${describeArgument(limit)}`,
      {
        field: 'limit',
      },
    )
  }
  let moved = 0
  while (moved < limit) {
    const got = await deadLetterQueue.receive({ maxMessages: Math.min(10, limit - moved), waitSeconds: 0 })
    if (got.length === 0) break
    for (const m of got) {
      await target.send(m.payload, { attributes: redrivenAttributes(m) })
      await deadLetterQueue.ack(m)
      moved++
    }
  }
  return moved
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text
  let end = Math.min(text.length, maxBytes)
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > maxBytes - 3) end--
  // Never split a surrogate pair: attribute values must stay well-formed.
  if (/[\uD800-\uDBFF]$/.test(text.slice(0, end))) end--
  return `${text.slice(0, end)}…`
}
