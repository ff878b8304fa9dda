import type {
  Capabilities,
  IncomingMessage,
  OutgoingMessage,
  QueueDriver,
  SendResult,
  TopicDriver,
} from '../src/driver.js'
import { QueueError } from '../src/errors.js'

/** A scriptable in-memory driver that records every call, for testing the portable layer. */
export class FakeDriver implements QueueDriver {
  readonly name = 'fake'
  capabilities: Capabilities = {
    persistent: false,
    fifo: true,
    delay: 900,
    nackDelay: 43_200,
    renewLease: true,
    deadLetter: false,
    maxBatch: 10,
    minLeaseSeconds: 1,
    staleHandles: 'ignored',
    untypedBody: 'text',
    topics: false,
    stats: false,
    peek: false,
  }
  leaseSeconds = 30
  /** Set it (see `fakeTopics`) together with `capabilities.topics`. */
  topics: TopicDriver | undefined
  readonly calls: Array<{ method: string; args: unknown[] }> = []
  readonly stored: OutgoingMessage[] = []
  /** Errors to throw from the next calls, in order, by method. */
  readonly failures = new Map<string, unknown[]>()
  /** Per-message errors `sendBatch` returns for the next calls. */
  sendErrors: Array<unknown | undefined> = []
  closed = false
  #ids = 0
  #deliveries = 0

  failNext(method: string, ...errors: unknown[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors])
  }

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args })
    const error = this.failures.get(method)?.shift()
    if (error !== undefined) throw error
  }

  async createQueue(queue: string) {
    this.#record('createQueue', queue)
  }
  async deleteQueue(queue: string) {
    this.#record('deleteQueue', queue)
  }
  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    this.#record('sendBatch', queue, messages)
    return messages.map((m) => {
      const error = this.sendErrors.shift()
      if (error !== undefined) return { error }
      this.stored.push(m)
      return { id: `id-${++this.#ids}` }
    })
  }
  async receiveBatch(queue: string, request: { maxMessages: number; waitSeconds: number }) {
    this.#record('receiveBatch', queue, request)
    return this.stored.splice(0, request.maxMessages).map((m): IncomingMessage => {
      const n = ++this.#deliveries
      return {
        id: `r-${n}`,
        body: m.body,
        // A test may play another producer: raw bytes, or a body the driver could not hand up.
        ...((m as { undecodable?: string }).undecodable !== undefined && {
          undecodable: (m as { undecodable?: string }).undecodable,
        }),
        contentType: m.contentType,
        receiptHandle: `fake:${n}`,
        attempt: 1,
        enqueuedAt: new Date(0),
        attributes: { ...m.attributes },
      }
    })
  }
  async ackBatch(queue: string, handles: readonly string[]) {
    this.#record('ackBatch', queue, handles)
  }
  async nack(queue: string, handle: string, delaySeconds: number) {
    this.#record('nack', queue, handle, delaySeconds)
  }
  async renewLease(queue: string, handle: string) {
    this.#record('renewLease', queue, handle)
  }
  isReceiptHandle(handle: string) {
    return handle.startsWith('fake:')
  }
  classifyError(error: unknown): QueueError | undefined {
    if ((error as { kind?: string }).kind === 'throttled') {
      return new QueueError('UNAVAILABLE', 'throttled', { cause: error, driver: 'fake' })
    }
    if ((error as { kind?: string }).kind === 'denied') {
      return new QueueError('PERMISSION_DENIED', 'denied', { cause: error, driver: 'fake' })
    }
    if ((error as { kind?: string }).kind === 'missing') {
      return new QueueError('QUEUE_NOT_FOUND', 'NoSuchQueue: The specified queue does not exist.', {
        cause: error,
        driver: 'fake',
      })
    }
    return undefined
  }
  async close() {
    this.#record('close')
    this.closed = true
  }
}

/** A topic driver that records its calls in `calls` and does nothing else. */
export function fakeTopics(calls: Array<{ method: string; args: unknown[] }> = []): TopicDriver {
  const record =
    (method: string) =>
    async (...args: unknown[]): Promise<never> => {
      calls.push({ method, args })
      return (
        method === 'publishBatch' ? (args[1] as unknown[]).map((_, i) => ({ id: `p-${i}` })) : undefined
      ) as never
    }
  return {
    createTopic: record('createTopic'),
    deleteTopic: record('deleteTopic'),
    createSubscription: record('createSubscription'),
    deleteSubscription: record('deleteSubscription'),
    publishBatch: record('publishBatch'),
  }
}

export const throttled = () => Object.assign(new Error('slow down'), { kind: 'throttled' })
export const denied = () => Object.assign(new Error('no'), { kind: 'denied' })
export const missing = () => Object.assign(new Error('no such queue'), { kind: 'missing' })
