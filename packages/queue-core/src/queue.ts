import { setMaxListeners } from 'node:events'
import { describeArgument, readOptions } from './arguments.js'
import type { ClientLink } from './client-link.js'
import type { Capabilities, QueueDriver } from './contract.js'
import { toMessage } from './decode.js'
import { QueueError } from './errors.js'
import { InFlight } from './in-flight.js'
import { type PeekedMessage, type PeekOptions, peekMessages, type QueueStats, readStats } from './inspect.js'
import { LIMITS, QUEUE_NAME_PATTERN } from './limits.js'
import type {
  BatchEntry,
  BatchResult,
  HandleLike,
  Message,
  NackOptions,
  ReceiveOptions,
  SendOptions,
} from './messages.js'
import { addTraceContext, encodeBatch, sendWithRetry } from './outgoing.js'
import type { Payload, PayloadShape } from './payload.js'
import { traceSend } from './tracing.js'

export type { BatchEntry, BatchResult, HandleLike, Message, NackOptions, ReceiveOptions, SendOptions }

/**
 * What a `Queue` needs of the client that made it, and offers as `queue.client`: `QueueClient`
 * implements it. An interface, so the queue does not depend on the client (which depends on it).
 */
export interface QueueOwner extends ClientLink {
  /** A handle on another queue of the same client. */
  queue<U extends PayloadShape<U> = Payload>(name: string): Queue<U>
  /** Creates the queue if it is missing. Idempotent. */
  createQueue(name: string): Promise<void>
  /** Deletes the queue and every message in it. A missing queue is a no-op. */
  deleteQueue(name: string): Promise<void>
  /** Waits for in-flight calls, closes every queue, then the driver. Idempotent. */
  close(): Promise<void>
}

/** One named queue. Every method validates its input before any I/O. */
export class Queue<T = Payload> {
  readonly name: string
  readonly #client: QueueOwner
  readonly #driver: QueueDriver
  readonly #inflight = new InFlight()
  readonly #closeSignal = new AbortController()
  readonly #combined = new WeakMap<AbortSignal, AbortSignal>()
  #closing: Promise<void> | undefined

  /** @internal use `client.queue(name)` */
  constructor(client: QueueOwner, name: string) {
    this.#client = client
    this.#driver = client.driver
    this.name = name
    // Every pending long poll listens on this one signal; many at once is normal, not a leak.
    setMaxListeners(0, this.#closeSignal.signal)
  }

  get capabilities(): Capabilities {
    return this.#driver.capabilities
  }

  /** The client this queue belongs to. */
  get client(): QueueOwner {
    return this.#client
  }

  /** The lease a received message gets, in seconds. */
  get leaseSeconds(): number {
    return this.#driver.leaseSeconds
  }

  /** Sends one message; resolves with its id once the backend accepted it durably. */
  async send(payload: T, options: SendOptions = {}): Promise<{ id: string }> {
    this.#assertOpen('send')
    const { delaySeconds, attributes } = readOptions(options, 'options', ['delaySeconds', 'attributes'])
    const [result] = await this.sendBatch([{ payload, delaySeconds, attributes } as BatchEntry<T>])
    if (!result!.ok) throw result!.error
    return { id: result!.id }
  }

  /**
   * Sends up to 10 messages. Input is validated as a whole first (an invalid entry rejects the call,
   * nothing is sent); then each message gets its own result, and only failures are worth retrying.
   */
  async sendBatch(entries: readonly BatchEntry<T>[]): Promise<BatchResult[]> {
    this.#assertOpen('sendBatch')
    const encoded = encodeBatch(entries, 'sendBatch', (value, field) =>
      this.#checkDelay(value as number | undefined, this.#driver.capabilities.delay, field, 'delayed send'),
    )
    return this.#track(
      traceSend(this.#driver.name, this.name, encoded.length, (carrier) => {
        addTraceContext(encoded, carrier)
        return sendWithRetry(this.#client, encoded, this.#driver.capabilities.maxBatch, this.name, (chunk) =>
          this.#driver.sendBatch(this.name, chunk),
        )
      }),
    )
  }

  /** Returns 0 to `maxMessages` messages, waiting up to `waitSeconds` for the first one. */
  async receive(options: ReceiveOptions = {}): Promise<Message<T>[]> {
    this.#assertOpen('receive')
    const {
      maxMessages = 1,
      waitSeconds = LIMITS.maxWaitSeconds,
      signal,
    } = readOptions(options, 'options', RECEIVE_FIELDS) as ReceiveOptions
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > LIMITS.maxBatch) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `maxMessages must be an integer from 1 to ${LIMITS.maxBatch}, got ${describeArgument(maxMessages)}`,
        { field: 'maxMessages', limit: LIMITS.maxBatch },
      )
    }
    if (typeof waitSeconds !== 'number' || !(waitSeconds >= 0 && waitSeconds <= LIMITS.maxWaitSeconds)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `waitSeconds must be from 0 to ${LIMITS.maxWaitSeconds}, got ${describeArgument(waitSeconds)}`,
        { field: 'waitSeconds', limit: LIMITS.maxWaitSeconds },
      )
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `signal must be an AbortSignal, got ${describeArgument(signal)}`,
        {
          field: 'signal',
        },
      )
    }
    const request = {
      maxMessages: Math.min(maxMessages, this.#driver.capabilities.maxBatch),
      waitSeconds,
      signal: signal ? this.#withClose(signal) : this.#closeSignal.signal,
    }
    const receiving = this.#client
      .execute(() => this.#driver.receiveBatch(this.name, request), this.name)
      .catch((error: unknown) => {
        // A long poll cut short by close() or the caller's signal is an empty answer, not a failure.
        if (request.signal.aborted) return []
        throw error
      })
    const incoming = await this.#track(receiving)
    const { name: driver, capabilities } = this.#driver
    return incoming.map((m) => toMessage<T>(m, driver, capabilities.untypedBody))
  }

  /** Deletes the message for good. Acking twice, or after the lease expired, is a safe no-op. */
  ack(handle: HandleLike): Promise<void> {
    return this.ackBatch([handle])
  }

  /** Acks any number of messages, in driver-sized batches. */
  async ackBatch(handles: readonly HandleLike[]): Promise<void> {
    this.#assertOpen('ack')
    if (!Array.isArray(handles)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `receiptHandles must be an array of messages or receipt handles, got ${describeArgument(handles)}`,
        { field: 'receiptHandles' },
      )
    }
    // The same handle twice in one call is one ack (SQS would reject the batch for duplicate ids).
    const count = handles.length
    const receiptHandles: string[] = new Array(count)
    for (let i = 0; i < count; i++) {
      let handle: HandleLike
      try {
        handle = handles[i]!
      } catch (error) {
        const field = handleField(count, i)
        throw new QueueError('INVALID_ARGUMENT', `${field} could not be read`, { field, cause: error })
      }
      receiptHandles[i] = this.#checkHandle(handle, count, i)
    }
    const unique = hasDuplicates(receiptHandles) ? [...new Set(receiptHandles)] : receiptHandles
    const size = this.#driver.capabilities.maxBatch
    if (unique.length === 0) return // nothing to ack: no driver call (SQS refuses an empty batch)
    if (unique.length <= size) {
      // One driver call, the usual case: no chunks to gather.
      await this.#track(this.#client.execute(() => this.#driver.ackBatch(this.name, unique), this.name))
      return
    }
    const calls: Promise<void>[] = []
    for (let i = 0; i < unique.length; i += size) {
      const chunk = unique.slice(i, i + size)
      calls.push(this.#client.execute(() => this.#driver.ackBatch(this.name, chunk), this.name))
    }
    await this.#track(Promise.all(calls))
  }

  /** Ends the lease early: the message is visible again after `delaySeconds` (default 0). */
  async nack(handle: HandleLike, options: NackOptions = {}): Promise<void> {
    this.#assertOpen('nack')
    const receiptHandle = this.#checkHandle(handle)
    const max = Math.min(this.#driver.capabilities.nackDelay, LIMITS.maxNackDelaySeconds)
    const delaySeconds = this.#checkDelay(
      readOptions(options, 'options', ['delaySeconds']).delaySeconds as number | undefined,
      max,
      'delaySeconds',
      'nack with a delay',
    )
    await this.#track(
      this.#client.execute(() => this.#driver.nack(this.name, receiptHandle, delaySeconds), this.name),
    )
  }

  /** Restarts the message's lease from now. */
  async renewLease(handle: HandleLike): Promise<void> {
    this.#assertOpen('renewLease')
    const receiptHandle = this.#checkHandle(handle)
    if (!this.#driver.capabilities.renewLease) {
      throw new QueueError('NOT_SUPPORTED', 'renewLease is not supported by this driver', {
        driver: this.#driver.name,
      })
    }
    await this.#track(
      this.#client.execute(() => this.#driver.renewLease(this.name, receiptHandle), this.name),
    )
  }

  /**
   * The queue's counts — visible, in flight, delayed … — read from the backend's own counters,
   * never by receiving: looking changes nothing. `capabilities.stats` says which fields this driver
   * fills and how exact each is; `NOT_SUPPORTED` where it is `false`.
   */
  stats(): Promise<QueueStats> {
    this.#assertOpen('stats')
    return this.#track(readStats(this.#client, this.name))
  }

  /**
   * Up to `maxMessages` (default 10, at most 100) of the messages the queue holds, oldest first,
   * without a lease: no attempt count, lease, order or visibility changes. `NOT_SUPPORTED` where
   * `capabilities.peek` is `false` (the backend can only look by receiving).
   */
  peek(options: PeekOptions = {}): Promise<PeekedMessage<T>[]> {
    this.#assertOpen('peek')
    return this.#track(peekMessages<T>(this.#client, this.name, options))
  }

  /**
   * Stops accepting calls, cuts pending long polls short, and waits for in-flight calls to settle.
   * Later calls fail with `CLOSED`. Idempotent. The client (and its driver) stay open.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closeSignal.abort()
      await this.#inflight.settled()
      this.#client.forget(this)
    })()
    return this.#closing
  }

  /**
   * The caller's signal combined with close(), made once per signal: a consumer passes the same
   * one to every receive, and `AbortSignal.any` per call costs more than the receive around it.
   */
  #withClose(signal: AbortSignal): AbortSignal {
    let combined = this.#combined.get(signal)
    if (combined === undefined) {
      combined = AbortSignal.any([signal, this.#closeSignal.signal])
      this.#combined.set(signal, combined)
    }
    return combined
  }

  /** Whole seconds from 0 to `max`; any delay is NOT_SUPPORTED where the driver declares max 0. */
  #checkDelay(value: number | undefined, max: number, field: string, feature: string): number {
    const delaySeconds = value ?? 0
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `${field} must be a whole number of seconds ≥ 0, got ${describeArgument(value)}`,
        {
          field,
        },
      )
    }
    if (delaySeconds > 0 && max === 0) {
      throw new QueueError('NOT_SUPPORTED', `${feature} is not supported by this driver`, {
        field,
        driver: this.#driver.name,
      })
    }
    if (delaySeconds > max) {
      throw new QueueError('INVALID_ARGUMENT', `${field} is ${delaySeconds}; the limit is ${max} seconds`, {
        field,
        limit: max,
      })
    }
    return delaySeconds
  }

  /** The receipt handle of `handle`, the `index`-th of `count` handles given (the field names it). */
  #checkHandle(handle: HandleLike, count = 1, index = 0): string {
    let value: unknown
    let cause: unknown
    try {
      value = typeof handle === 'object' && handle !== null ? handle.receiptHandle : handle
    } catch (error) {
      cause = error // a getter or Proxy trap that throws: no handle could be read
    }
    if (typeof value !== 'string' || !this.#driver.isReceiptHandle(value)) {
      const field = handleField(count, index)
      throw new QueueError(
        'INVALID_RECEIPT_HANDLE',
        `${field} is not a receipt handle of the ${this.#driver.name} driver`,
        { field, driver: this.#driver.name, cause },
      )
    }
    return value
  }

  #assertOpen(operation: string): void {
    if (this.#closing || this.#client.closed) {
      throw new QueueError('CLOSED', `${operation}() was called on queue "${this.name}" after it was closed`)
    }
  }

  #track<R>(promise: Promise<R>): Promise<R> {
    return this.#inflight.track(promise)
  }
}

/** How an error names the `index`-th of `count` handles: built only when there is an error to report. */
function handleField(count: number, index: number): string {
  return count === 1 ? 'receiptHandle' : `receiptHandles[${index}]`
}

/** Whether a handle repeats: pairwise for a batch (no Set to build), by a Set beyond that. */
function hasDuplicates(handles: readonly string[]): boolean {
  const count = handles.length
  if (count > 16) return new Set(handles).size < count
  for (let i = 1; i < count; i++) {
    const handle = handles[i]
    for (let j = 0; j < i; j++) if (handles[j] === handle) return true
  }
  return false
}

const RECEIVE_FIELDS = ['maxMessages', 'waitSeconds', 'signal'] as const

export function assertQueueName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !QUEUE_NAME_PATTERN.test(name)) {
    throw new QueueError(
      'INVALID_QUEUE_NAME',
      `queue name ${JSON.stringify(name)} must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-"`,
      { field: 'name', limit: 64 },
    )
  }
}

/** A Queue, also from another copy of this package: checked by shape, not by class. */
export function isQueue(value: unknown): value is Queue<any> {
  const q = value as Queue<any> | null
  try {
    return (
      typeof q === 'object' &&
      q !== null &&
      typeof q.name === 'string' &&
      typeof q.receive === 'function' &&
      typeof q.ackBatch === 'function' &&
      typeof q.nack === 'function' &&
      typeof q.renewLease === 'function' &&
      typeof q.leaseSeconds === 'number'
    )
  } catch {
    return false
  }
}

/** `value` when it is a Queue, else INVALID_ARGUMENT naming `field`. */
export function checkQueue(value: unknown, field: string): Queue<any> {
  if (isQueue(value)) return value
  throw new QueueError(
    'INVALID_ARGUMENT',
    `${field} must be a Queue from client.queue(name), got ${describeArgument(value)}`,
    {
      field,
    },
  )
}
