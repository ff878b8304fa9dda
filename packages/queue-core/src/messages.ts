/** The message types of the portable API: what `Queue` takes and hands out. Types only. */
import type { QueueError } from './errors.js'
import type { Payload } from './payload.js'

export interface SendOptions {
  /** Keep the message invisible this many whole seconds (up to the driver's `capabilities.delay`). */
  delaySeconds?: number
  /**
   * Application attributes, carried as the backend's own message attributes: at most 8, names
   * matching `ATTRIBUTE_NAME_PATTERN`, values non-empty strings of at most 1,024 UTF-8 bytes.
   */
  attributes?: Record<string, string>
}

export interface BatchEntry<T = Payload> extends SendOptions {
  payload: T
}

export type BatchResult = { ok: true; id: string } | { ok: false; error: QueueError }

export interface ReceiveOptions {
  /** 1 to 10. Default 1. */
  maxMessages?: number
  /** Long poll: wait up to this many seconds (0 to 20) for a first message. Default 20. */
  waitSeconds?: number
  /** Cuts the long poll short: the receive then resolves with what it has, usually `[]`. */
  signal?: AbortSignal
}

export interface NackOptions {
  /** Seconds before the message is visible again (0 to 43,200). Default 0: now. */
  delaySeconds?: number
}

export interface Message<T = Payload> {
  id: string
  /**
   * Text comes back as the same string, JSON as an equal value. On a message whose body cannot be
   * represented (see `decodeError`), reading it throws that error.
   */
  payload: T
  /** Opaque; pass it (or the message) to `ack`, `nack`, `renewLease`. */
  receiptHandle: string
  /** 1 on first delivery, +1 on each redelivery. */
  attempt: number
  enqueuedAt: Date
  /** Application attributes sent with the message (empty when none). */
  attributes: Record<string, string>
  /**
   * Set only when the body cannot be represented faithfully as a payload — bytes that are not
   * UTF-8, a JSON content type over a body that is not JSON, a typed value JSON cannot hold: an
   * `INVALID_PAYLOAD` naming why. `payload` then throws it, and `consume()` dead-letters the
   * message at once with it as the reason. Undefined on every well-formed message.
   */
  readonly decodeError?: QueueError<'INVALID_PAYLOAD'>
  /** Set only beside `decodeError`: the body's bytes as the backend delivered them. */
  readonly rawBody?: Uint8Array
  /** Set only beside `decodeError`: the content type the message arrived with, if any. */
  readonly rawContentType?: string
}

export type HandleLike = string | { receiptHandle: string }
