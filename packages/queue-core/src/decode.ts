import type { Capabilities, IncomingMessage } from './contract.js'
import { QueueError } from './errors.js'
import type { Message } from './messages.js'
import { isJsonContentType, type Payload } from './payload.js'

/**
 * How a received body becomes a `Message` (the mapping the README's contract states):
 *
 * - a text body (a string, or bytes that are valid UTF-8) is text, unless its content type is JSON
 *   (`application/json`, any parameters): then it is the JSON value it holds;
 * - a body with no content type at all follows the driver's `capabilities.untypedBody`: `'text'`, it
 *   is text; `'json-or-text'`, it is the JSON value it holds when it parses as JSON, else text —
 *   the convention of SDKs that JSON-encode what they send and mark nothing;
 * - bytes that are not valid UTF-8, a JSON content type over a body that is not JSON, or a body the
 *   driver could not hand up faithfully (`IncomingMessage.undecodable`) make an undecodable message:
 *   still delivered, its `decodeError` an `INVALID_PAYLOAD` naming why, its `rawBody` the bytes as
 *   received, and reading its `payload` throws that error — never a silently altered value.
 *
 * A well-formed message costs what it did before: one decode (or none for a string) and, for JSON,
 * one `JSON.parse`; it is a plain object, and its raw bytes are not kept.
 */
export function toMessage<T>(
  m: IncomingMessage,
  driver: string,
  untypedBody: Capabilities['untypedBody'] = 'text',
): Message<T> {
  const { body, contentType } = m
  let text: string
  if (typeof body === 'string') text = body
  else {
    try {
      text = UTF8.decode(body)
    } catch {
      return new UndecodableMessage(m, body, 'is not valid UTF-8', driver) as Message<any>
    }
  }
  if (m.undecodable !== undefined) {
    return new UndecodableMessage(m, body, m.undecodable, driver) as Message<any>
  }
  if (contentType === undefined) {
    return plain(m, (untypedBody === 'json-or-text' ? jsonOrText(text) : text) as T)
  }
  if (!isJsonContentType(contentType)) return plain(m, text as T)
  let payload: Payload
  try {
    payload = JSON.parse(text) as Payload
  } catch (error) {
    const why = `has content type ${JSON.stringify(contentType)} but is not valid JSON (${(error as Error).message})`
    return new UndecodableMessage(m, text, why, driver) as Message<any>
  }
  const overflow = overflowIn(text, payload)
  if (overflow !== undefined) {
    const why = `holds a number too large for a JavaScript number at ${overflow} (it would read as Infinity)`
    return new UndecodableMessage(m, text, why, driver) as Message<any>
  }
  return plain(m, payload as T)
}

/**
 * Where `value` (parsed from `text`) holds a number JSON.parse turned into ±Infinity — `1e400` —
 * which no payload may hold (send refuses it), or undefined. Only a literal with a 3-digit
 * exponent or 309 digits can overflow, so most texts are never walked.
 */
function overflowIn(text: string, value: unknown): string | undefined {
  return MAY_OVERFLOW.test(text) ? infinityAt(value, 'payload') : undefined
}

const MAY_OVERFLOW = /\d[eE]\+?\d{3}|\d{309}/

function infinityAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path
  if (typeof value !== 'object' || value === null) return undefined
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = infinityAt(value[i], `${path}[${i}]`)
      if (at !== undefined) return at
    }
    return undefined
  }
  for (const [key, inner] of Object.entries(value)) {
    const at = infinityAt(inner, `${path}.${key}`)
    if (at !== undefined) return at
  }
  return undefined
}

/** The JSON value `text` holds, or `text` itself when it is not JSON (or overflows a number). */
function jsonOrText(text: string): Payload {
  let value: Payload
  try {
    value = JSON.parse(text) as Payload
  } catch {
    return text
  }
  return overflowIn(text, value) === undefined ? value : text
}

/** Strict: a malformed sequence throws rather than becoming U+FFFD; a BOM is kept, not eaten. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function plain<T>(m: IncomingMessage, payload: T): Message<T> {
  return {
    id: m.id,
    payload,
    receiptHandle: m.receiptHandle,
    attempt: m.attempt,
    enqueuedAt: m.enqueuedAt,
    attributes: m.attributes,
  }
}

/**
 * A delivered message whose body cannot be represented as a payload. Everything but the payload is
 * there, so it can be acked, nacked or dead-lettered; `payload` throws `decodeError`.
 */
class UndecodableMessage {
  readonly id: string
  readonly receiptHandle: string
  readonly attempt: number
  readonly enqueuedAt: Date
  readonly attributes: Record<string, string>
  readonly decodeError: QueueError<'INVALID_PAYLOAD'>
  readonly rawContentType: string | undefined
  readonly #raw: string | Uint8Array
  #bytes: Uint8Array | undefined

  constructor(m: IncomingMessage, raw: string | Uint8Array, why: string, driver: string) {
    this.id = m.id
    this.receiptHandle = m.receiptHandle
    this.attempt = m.attempt
    this.enqueuedAt = m.enqueuedAt
    this.attributes = m.attributes
    this.rawContentType = m.contentType
    this.#raw = raw
    this.decodeError = new QueueError('INVALID_PAYLOAD', `the body of message ${m.id} ${why}`, {
      field: 'payload',
      driver,
    })
  }

  /** The body's bytes exactly as the backend delivered them. */
  get rawBody(): Uint8Array {
    this.#bytes ??= typeof this.#raw === 'string' ? new Uint8Array(Buffer.from(this.#raw, 'utf8')) : this.#raw
    return this.#bytes
  }

  get payload(): never {
    throw this.decodeError
  }
}
