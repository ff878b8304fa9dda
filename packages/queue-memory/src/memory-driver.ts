import { randomUUID } from 'node:crypto'
import {
  ALL_FILTER_TOPICS,
  type Capabilities,
  EXACT_STATS,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  type PeekedIncomingMessage,
  type PeekRequest,
  parseSubscriptionAddress,
  type QueueDriver,
  QueueError,
  type QueueStats,
  type ReceiveRequest,
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolveUntypedBody,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import { type Clock, checkClock, systemClock } from './clock.js'
import { DRIVER_NAME } from './constants.js'
import type { MemoryDriverOptions } from './memory-options.js'
import { MemoryQueue, type StoredMessage, storedMessage } from './memory-queue.js'
import { MemoryTopics } from './memory-topics.js'

/**
 * Receipt handles: `mq1.<queue>.<seq>.<delivery>`. Seqs come from one counter per driver, so a
 * handle never repeats, not even after a queue is deleted and created again.
 */
const HANDLE = /^mq1\.([A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64})?)\.([0-9a-f]{1,13})\.([1-9][0-9]{0,9})$/

/** Every option `MemoryDriverOptions` has: anything else is a typo, refused by name. */
const OPTION_KEYS = [
  'leaseSeconds',
  'clock',
  'createIfMissing',
  'untypedBody',
] as const satisfies readonly (keyof MemoryDriverOptions)[]

/**
 * Queues in this process's memory: nothing survives the driver, nothing is shared with another
 * driver. Made for application tests, where it keeps the whole contract (leases, delays, FIFO,
 * redelivery with `attempt`) and, with a `ManualClock`, lets time jump instead of pass.
 */
export class MemoryDriver implements QueueDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  /** The driver's time source (the system clock unless one was passed in). */
  readonly clock: Clock
  readonly #createIfMissing: boolean
  readonly #queues = new Map<string, MemoryQueue>()
  /** Topics and subscriptions (`memory-topics.ts`); a subscription's messages live in `#queues`. */
  readonly topics: MemoryTopics
  #nextSeq = 0
  #closed = false

  constructor(options: MemoryDriverOptions = {}) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
    this.capabilities = Object.freeze({
      persistent: false,
      fifo: true,
      delay: 900,
      nackDelay: LIMITS.maxNackDelaySeconds,
      renewLease: true,
      deadLetter: false,
      maxBatch: LIMITS.maxBatch,
      minLeaseSeconds: 1,
      staleHandles: 'ignored',
      topics: ALL_FILTER_TOPICS,
      untypedBody: resolveUntypedBody(options.untypedBody, 'text', DRIVER_NAME),
      stats: EXACT_STATS,
      peek: true,
    })
    this.leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: 1,
      max: LIMITS.maxNackDelaySeconds,
      driver: DRIVER_NAME,
    })
    this.clock = options.clock === undefined ? systemClock : checkClock(options.clock, DRIVER_NAME)
    this.#createIfMissing = options.createIfMissing ?? false
    this.topics = new MemoryTopics({
      queues: this.#queues,
      clock: this.clock,
      nextSeq: () => this.#nextSeq++,
      deleteQueue: (address) => this.deleteQueue(address),
    })
  }

  async createQueue(queue: string): Promise<void> {
    if (!this.#queues.has(queue)) this.#queues.set(queue, new MemoryQueue(this.clock))
  }

  async deleteQueue(queue: string): Promise<void> {
    const deleted = this.#queues.get(queue)
    this.#queues.delete(queue)
    deleted?.notify() // waiting receives see the queue gone and return empty
  }

  /** The names of the queues that exist now, sorted. */
  async listQueues(): Promise<string[]> {
    return [...this.#queues.keys()].filter((name) => !parseSubscriptionAddress(name)).sort()
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const target = this.#queue(queue)
    const now = this.clock.now()
    const results = messages.map((m) => {
      const id = randomUUID()
      target.messages.set(this.#nextSeq++, storedMessage(id, m, now, now + m.delaySeconds * 1000))
      return { id }
    })
    target.notify()
    return results
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const source = this.#queue(queue)
    const deadline = this.clock.now() + request.waitSeconds * 1000
    for (;;) {
      const now = this.clock.now()
      const taken = source.take(request.maxMessages, now, this.leaseSeconds * 1000)
      if (taken.length > 0) return taken.map(([seq, m]) => this.#incoming(queue, seq, m))
      const remaining = deadline - now
      if (remaining <= 0 || request.signal?.aborted || this.#closed || this.#queues.get(queue) !== source) {
        return []
      }
      await source.wait(Math.min(remaining, source.nextVisibleIn(now)), request.signal)
    }
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const source = this.#queue(queue)
    for (const handle of receiptHandles) {
      const lease = this.#lease(queue, source, handle)
      if (lease) source.messages.delete(lease.seq) // else acked already, or redelivered since: a no-op
    }
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const source = this.#queue(queue)
    const lease = this.#lease(queue, source, receiptHandle)
    if (!lease) return
    lease.message.visibleAt = this.clock.now() + delaySeconds * 1000
    lease.message.leased = false
    source.notify()
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const lease = this.#lease(queue, this.#queue(queue), receiptHandle)
    if (lease) lease.message.visibleAt = this.clock.now() + this.leaseSeconds * 1000
  }

  /** Exact counts, read from the store: nothing is received. */
  async stats(queue: string): Promise<QueueStats> {
    return this.#queue(queue, false).stats(this.clock.now())
  }

  /** The first messages in send order, shown as they are: no lease, no delivery counted. */
  async peek(queue: string, request: PeekRequest): Promise<PeekedIncomingMessage[]> {
    return this.#queue(queue, false)
      .peek(request.maxMessages, this.clock.now())
      .map(([m, state]) => ({
        id: m.id,
        body: m.body,
        contentType: m.contentType,
        deliveries: m.deliveries,
        state,
        enqueuedAt: new Date(m.enqueuedAt),
        attributes: { ...m.attributes },
      }))
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return HANDLE.test(receiptHandle)
  }

  // The parameter is declared though unused: the contract's type is `(error: unknown)`, and a
  // wrapper that passes the error on must type-check against this class, not only the interface.
  classifyError(_error: unknown): QueueError | undefined {
    return undefined // nothing here fails the way a backend does: anything thrown is a bug
  }

  async close(): Promise<void> {
    this.#closed = true
    for (const queue of this.#queues.values()) queue.notify()
    this.#queues.clear()
    this.topics.clear()
  }

  /** The queue, made on first use under `createIfMissing` unless `create` is false (a look creates nothing). */
  #queue(queue: string, create = true): MemoryQueue {
    let found = this.#queues.get(queue)
    if (!found) {
      const address = parseSubscriptionAddress(queue)
      if (address) {
        throw new QueueError(
          'QUEUE_NOT_FOUND',
          `subscription "${address.subscription}" of topic "${address.topic}" does not exist: create it with createSubscription()`,
          { driver: DRIVER_NAME },
        )
      }
      if (!this.#createIfMissing || !create) {
        const orOption = create ? ', or open the driver with createIfMissing: true' : ''
        throw new QueueError(
          'QUEUE_NOT_FOUND',
          `queue "${queue}" does not exist: create it with createQueue("${queue}")${orOption}`,
          { driver: DRIVER_NAME },
        )
      }
      found = new MemoryQueue(this.clock)
      this.#queues.set(queue, found)
    }
    return found
  }

  #lease(queue: string, source: MemoryQueue, handle: string) {
    const match = HANDLE.exec(handle)
    if (!match || match[1] !== queue) return undefined
    const seq = Number.parseInt(match[2]!, 16)
    const message = source.current(seq, Number(match[3]))
    return message ? { seq, message } : undefined
  }

  #incoming(queue: string, seq: number, m: StoredMessage): IncomingMessage {
    return {
      id: m.id,
      body: m.body,
      contentType: m.contentType,
      receiptHandle: `mq1.${queue}.${seq.toString(16)}.${m.deliveries}`,
      attempt: m.deliveries,
      enqueuedAt: new Date(m.enqueuedAt),
      attributes: { ...m.attributes },
    }
  }
}

/** Opens a fresh, empty set of in-memory queues. */
export function createMemoryDriver(options: MemoryDriverOptions = {}): MemoryDriver {
  return new MemoryDriver(options)
}
