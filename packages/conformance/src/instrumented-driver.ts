import type {
  Capabilities,
  IncomingMessage,
  OutgoingMessage,
  PeekedIncomingMessage,
  PeekRequest,
  QueueDriver,
  QueueError,
  QueueStats,
  ReceiveRequest,
  SendResult,
  StreamingReceiver,
  TopicDriver,
} from '@anyqueue/queue-core/driver'
import { subscriptionAddress } from '@anyqueue/queue-core/driver'
import { instrumentStream } from './instrumented-stream.js'
import { sameValue, show } from './traits.js'

/** The driver methods a case can count and fail. */
export type DriverMethod =
  | 'createQueue'
  | 'deleteQueue'
  | 'sendBatch'
  | 'receiveBatch'
  | 'ackBatch'
  | 'nack'
  | 'renewLease'
  | 'createTopic'
  | 'deleteTopic'
  | 'createSubscription'
  | 'deleteSubscription'
  | 'publishBatch'
  | 'stats'
  | 'peek'

export interface DriverCall {
  method: DriverMethod
  queue: string
  /** Handles acked (`ackBatch`), messages sent (`sendBatch`), or the one handle (`nack`, `renewLease`). */
  handles: readonly string[]
  messages: readonly OutgoingMessage[]
  /** `nack`'s delay. */
  delaySeconds?: number
  /** How many messages a `receiveBatch` returned, once it did. */
  received?: number
  /** How many messages a `receiveBatch` asked for. */
  maxMessages?: number
  /** When the call was made and when it settled (epoch ms). */
  at: number
  settledAt?: number
  /** What the call failed with, once it did. */
  error?: unknown
}

/** One message a `receiveBatch` handed out: which, with what handle and attempt, and when. */
export interface Delivery {
  queue: string
  id: string
  receiptHandle: string
  attempt: number
  /** The body as the driver handed it up. */
  body: string | Uint8Array
  /** When the receive that brought it was sent: its lease started after this. */
  at: number
  /** When that receive returned: the backend handed the message out before this. */
  returnedAt: number
}

export interface Fault {
  method: DriverMethod
  /** Only calls on this queue; any queue when absent. */
  queue?: string
  /** How many calls fail; `Infinity` until `clear()`. Default 1. */
  times?: number
  /** The error each failing call throws, before it reaches the driver. */
  error?: () => QueueError | Error
  /** Instead of failing: the call goes through, and its result is held back this long. */
  holdMs?: number
}

/**
 * Wraps any driver: records every call the portable layer makes and, on demand, fails calls with a
 * classified error before they reach the backend. The suite opens every driver through it, so the
 * promises of the portable layer (retries, batching) and the consumer (dead letters, lost leases) are
 * proven on every backend alike. With no fault set it only forwards.
 */
export class InstrumentedDriver implements QueueDriver {
  readonly calls: DriverCall[] = []
  /** Every message handed out, in order: how often each was delivered, a lost lease shows here. */
  readonly deliveries: Delivery[] = []
  /** Each capability change seen after a call: `after ackBatch: renewLease true → false`. */
  readonly capabilityChanges: string[] = []
  /** The inner driver's `topics`, instrumented; absent when the inner driver has none. */
  readonly topics: TopicDriver | undefined
  /** The inner driver's `stats`, recorded; absent when the inner driver has none (see `checkDriver`). */
  readonly stats?: (queue: string) => Promise<QueueStats>
  /** The inner driver's `peek`, recorded; absent when the inner driver has none. */
  readonly peek?: (queue: string, request: PeekRequest) => Promise<PeekedIncomingMessage[]>
  /**
   * The inner driver's streaming path, instrumented (`instrumented-stream.ts`): each delivery is
   * recorded, and faulted, as a `receiveBatch` call. Absent when the inner driver has none.
   */
  readonly streaming: StreamingReceiver | undefined
  readonly #inner: QueueDriver
  readonly #declared: Capabilities
  #faults: Array<Fault & { left: number }> = []

  constructor(inner: QueueDriver) {
    this.#inner = inner
    this.#declared = { ...inner.capabilities }
    this.topics = inner.topics && this.#instrument(inner.topics)
    const none = { handles: [], messages: [] }
    if (typeof inner.stats === 'function') {
      this.stats = (queue) => this.#run({ method: 'stats', queue, ...none }, () => inner.stats!(queue))
    }
    if (typeof inner.peek === 'function') {
      this.peek = (queue, request) =>
        this.#run({ method: 'peek', queue, ...none }, () => inner.peek!(queue, request))
    }
    this.streaming =
      inner.streaming &&
      instrumentStream(inner.streaming, inner, {
        enter: (queue, messages) => {
          const call: DriverCall = {
            method: 'receiveBatch',
            queue,
            handles: [],
            messages: [],
            maxMessages: messages.length,
            received: messages.length,
            at: Date.now(),
            settledAt: Date.now(),
          }
          return this.#enter(call)
        },
        delivered: (queue, messages, at) => this.#recordDeliveries(queue, messages, at),
      })
  }

  /** The driver the target opened. */
  get inner(): QueueDriver {
    return this.#inner
  }

  get name(): string {
    return this.#inner.name
  }

  get capabilities(): Capabilities {
    return this.#inner.capabilities
  }

  get leaseSeconds(): number {
    return this.#inner.leaseSeconds
  }

  /** Fails the next matching calls (see `Fault`). */
  inject(fault: Fault): void {
    this.#faults.push({ ...fault, left: fault.times ?? 1 })
  }

  /** Removes every fault not yet used up. */
  clear(): void {
    this.#faults = []
  }

  /** Calls made so far, optionally of one method and queue. */
  callsOf(method: DriverMethod, queue?: string): DriverCall[] {
    return this.calls.filter((c) => c.method === method && (queue === undefined || c.queue === queue))
  }

  /** Deliveries so far on `queue`, optionally of one message. */
  deliveriesOf(queue: string, id?: string): Delivery[] {
    return this.deliveries.filter((d) => d.queue === queue && (id === undefined || d.id === id))
  }

  /**
   * Handles whose lease the portable layer learned it lost: a `renewLease` on them failed. At-least-once
   * allows this on a slow backend, and the consumer then leaves the delivery alone (no ack, no nack).
   */
  lostHandles(queue: string): Set<string> {
    return new Set(
      this.callsOf('renewLease', queue)
        .filter((c) => c.error !== undefined)
        .map((c) => c.handles[0]!),
    )
  }

  /** Records the call, throws an injected error, or returns how long to hold its result. */
  #enter(call: DriverCall): number {
    this.calls.push(call)
    const fault = this.#faults.find(
      (f) => f.left > 0 && f.method === call.method && (f.queue === undefined || f.queue === call.queue),
    )
    if (!fault) return 0
    fault.left--
    if (fault.error) throw fault.error()
    return fault.holdMs ?? 0
  }

  async #run<R>(entry: Omit<DriverCall, 'at'>, forward: () => Promise<R>): Promise<R> {
    const call: DriverCall = { ...entry, at: Date.now() }
    try {
      const holdMs = this.#enter(call)
      const result = await forward()
      if (Array.isArray(result) && call.method === 'receiveBatch') {
        call.received = result.length
        this.#recordDeliveries(call.queue, result as IncomingMessage[], call.at)
      }
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs))
      return result
    } catch (error) {
      call.error = error
      throw error
    } finally {
      call.settledAt = Date.now()
      this.#checkCapabilities(call.method)
    }
  }

  #recordDeliveries(queue: string, messages: readonly IncomingMessage[], at: number): void {
    const returnedAt = Date.now()
    for (const m of messages) {
      this.deliveries.push({
        queue,
        id: m.id,
        receiptHandle: m.receiptHandle,
        attempt: m.attempt,
        body: m.body,
        at,
        returnedAt,
      })
    }
  }

  /** Capabilities are a trait of every operation: none may change them, not even for a while. */
  #checkCapabilities(after: DriverMethod): void {
    const now = this.#inner.capabilities as unknown as Record<string, unknown>
    const declared = this.#declared as unknown as Record<string, unknown>
    for (const field of new Set([...Object.keys(declared), ...Object.keys(now ?? {})])) {
      if (!sameValue(declared[field], now?.[field])) {
        this.capabilityChanges.push(
          `after ${after}: ${field} ${show(declared[field])} → ${show(now?.[field])}`,
        )
      }
    }
  }

  async createQueue(queue: string): Promise<void> {
    return this.#run({ method: 'createQueue', queue, handles: [], messages: [] }, () =>
      this.#inner.createQueue(queue),
    )
  }

  async deleteQueue(queue: string): Promise<void> {
    return this.#run({ method: 'deleteQueue', queue, handles: [], messages: [] }, () =>
      this.#inner.deleteQueue(queue),
    )
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    return this.#run({ method: 'sendBatch', queue, handles: [], messages }, () =>
      this.#inner.sendBatch(queue, messages),
    )
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const call: Omit<DriverCall, 'at'> = {
      method: 'receiveBatch',
      queue,
      handles: [],
      messages: [],
      maxMessages: request.maxMessages,
    }
    return this.#run(call, () => this.#inner.receiveBatch(queue, request))
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    return this.#run({ method: 'ackBatch', queue, handles: [...receiptHandles], messages: [] }, () =>
      this.#inner.ackBatch(queue, receiptHandles),
    )
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    return this.#run({ method: 'nack', queue, handles: [receiptHandle], messages: [], delaySeconds }, () =>
      this.#inner.nack(queue, receiptHandle, delaySeconds),
    )
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    return this.#run({ method: 'renewLease', queue, handles: [receiptHandle], messages: [] }, () =>
      this.#inner.renewLease(queue, receiptHandle),
    )
  }

  /** The inner driver's topics, each call recorded and faultable like a queue method's. */
  #instrument(topics: TopicDriver): TopicDriver {
    const none = { handles: [], messages: [] }
    return {
      createTopic: (topic) =>
        this.#run({ method: 'createTopic', queue: topic, ...none }, () => topics.createTopic(topic)),
      deleteTopic: (topic) =>
        this.#run({ method: 'deleteTopic', queue: topic, ...none }, () => topics.deleteTopic(topic)),
      createSubscription: (topic, subscription, filter) =>
        this.#run(
          { method: 'createSubscription', queue: subscriptionAddress(topic, subscription), ...none },
          () => topics.createSubscription(topic, subscription, filter),
        ),
      deleteSubscription: (topic, subscription) =>
        this.#run(
          { method: 'deleteSubscription', queue: subscriptionAddress(topic, subscription), ...none },
          () => topics.deleteSubscription(topic, subscription),
        ),
      // `queue` of the recorded call is the topic's name.
      publishBatch: (topic, messages) =>
        this.#run({ method: 'publishBatch', queue: topic, handles: [], messages }, () =>
          topics.publishBatch(topic, messages),
        ),
    }
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return this.#inner.isReceiptHandle(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return this.#inner.classifyError(error)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}
