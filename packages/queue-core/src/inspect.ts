import { describeArgument, readOptions } from './arguments.js'
import type { ClientLink } from './client-link.js'
import type { PeekedIncomingMessage, PeekedState, QueueStats } from './contract.js'
import { toMessage } from './decode.js'
import { QueueError } from './errors.js'
import { LIMITS } from './limits.js'
import type { Message } from './messages.js'

/**
 * Looking at a queue without changing it: `stats()` and `peek()`. Neither receives, so neither
 * counts as a delivery, takes a lease or moves a message; a driver that cannot look that way
 * declares it (`capabilities.stats`, `capabilities.peek`) and the call is `NOT_SUPPORTED`.
 */

export type { QueueStats }

export interface PeekOptions {
  /** 1 to `LIMITS.maxPeek` (100). Default 10. */
  maxMessages?: number
}

/**
 * A message as `peek()` shows it: decoded as `receive()` would decode it, with no receipt handle
 * (a look grants no lease) and how often it was delivered so far instead of an attempt number.
 */
export interface PeekedMessage<T> extends Omit<Message<T>, 'receiptHandle' | 'attempt'> {
  /** Deliveries so far: 0 for a message never received; the next receive's `attempt` is this + 1. */
  deliveries: number
  /**
   * `'visible'`, a receive could take it now; `'inFlight'`, under a lease; `'delayed'`, not due
   * yet; `'active'`, visible or in flight where the backend does not tell the two apart.
   */
  state: PeekedState
}

/** The queue's counts as the backend keeps them (`Capabilities.stats` says which and how exact). */
export async function readStats(link: ClientLink, queue: string): Promise<QueueStats> {
  const { driver } = link
  if (driver.capabilities.stats === false || driver.stats === undefined) {
    throw notSupported(link, 'stats()', 'keeps no counts it can read without receiving')
  }
  return link.execute(() => driver.stats!(queue), queue)
}

/** Up to `maxMessages` messages of the queue, oldest first, without a lease. */
export async function peekMessages<T>(
  link: ClientLink,
  queue: string,
  options: PeekOptions,
): Promise<PeekedMessage<T>[]> {
  const { maxMessages = 10 } = readOptions(options, 'options', PEEK_FIELDS) as PeekOptions
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > LIMITS.maxPeek) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `maxMessages must be an integer from 1 to ${LIMITS.maxPeek}, got ${describeArgument(maxMessages)}`,
      { field: 'maxMessages', limit: LIMITS.maxPeek },
    )
  }
  const { driver } = link
  if (!driver.capabilities.peek || driver.peek === undefined) {
    throw notSupported(
      link,
      'peek()',
      'can only look at a message by receiving it, which counts as a delivery',
    )
  }
  const peeked = await link.execute(() => driver.peek!(queue, { maxMessages }), queue)
  return peeked.map((m) => toPeeked<T>(m, driver.name, driver.capabilities.untypedBody))
}

const PEEK_FIELDS = ['maxMessages'] as const

function toPeeked<T>(
  m: PeekedIncomingMessage,
  driver: string,
  untypedBody: 'text' | 'json-or-text',
): PeekedMessage<T> {
  const decoded = toMessage<T>({ ...m, receiptHandle: '', attempt: m.deliveries }, driver, untypedBody)
  const shown = {
    id: m.id,
    enqueuedAt: m.enqueuedAt,
    attributes: m.attributes,
    deliveries: m.deliveries,
    state: m.state,
  }
  const { decodeError } = decoded
  if (decodeError === undefined) return { ...shown, payload: decoded.payload }
  // Undecodable: as on a received message, the payload throws the decode error.
  return Object.defineProperty(
    { ...shown, decodeError, rawBody: decoded.rawBody, rawContentType: decoded.rawContentType },
    'payload',
    {
      get(): never {
        throw decodeError
      },
      enumerable: false,
    },
  ) as PeekedMessage<T>
}

function notSupported(link: ClientLink, operation: string, why: string): QueueError {
  const name = link.driver.name
  return new QueueError('NOT_SUPPORTED', `${operation} is not supported by the ${name} driver: it ${why}`, {
    driver: name,
  })
}
