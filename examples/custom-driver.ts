// A driver of your own, plugged in by URL. This one wraps another driver and counts every call —
// the shape of an audit, metrics or fault-injection layer. A driver for a new backend implements
// the same `QueueDriver` interface (see @anyqueue/queue-memory's source for a complete one, and run
// @anyqueue/conformance against it to prove it keeps the contract).
//
//   npx -y pnpm@10 -C examples example custom-driver.ts
import { openQueueClient } from '@anyqueue/queue-core'
import {
  type IncomingMessage,
  type OutgoingMessage,
  type QueueDriver,
  type QueueError,
  type ReceiveRequest,
  registerScheme,
  type SendResult,
  type StreamingReceiver,
  type TopicDriver,
} from '@anyqueue/queue-core/driver'
import { createMemoryDriver } from '@anyqueue/queue-memory'

class CountingDriver implements QueueDriver {
  readonly name = 'counting'
  readonly calls = new Map<string, number>()
  // Topics and streaming are sub-drivers: a wrapper that declares the inner driver's capabilities
  // hands on its `topics` and `streaming` too (here uncounted), or the client refuses it at construction.
  readonly topics?: TopicDriver
  // `stats()` and `peek()` go with `capabilities.stats` and `capabilities.peek` the same way: present
  // exactly when the inner driver has them (a look is read-only, so it is handed on uncounted).
  readonly stats?: NonNullable<QueueDriver['stats']>
  readonly peek?: NonNullable<QueueDriver['peek']>
  readonly streaming?: StreamingReceiver
  constructor(readonly inner: QueueDriver) {
    if (inner.topics) this.topics = inner.topics
    if (inner.streaming) this.streaming = inner.streaming
    if (inner.stats) this.stats = (queue) => inner.stats!(queue)
    if (inner.peek) this.peek = (queue, request) => inner.peek!(queue, request)
  }

  get capabilities() {
    return this.inner.capabilities
  }
  get leaseSeconds() {
    return this.inner.leaseSeconds
  }
  createQueue(queue: string): Promise<void> {
    return this.#count('createQueue', () => this.inner.createQueue(queue))
  }
  deleteQueue(queue: string): Promise<void> {
    return this.#count('deleteQueue', () => this.inner.deleteQueue(queue))
  }
  sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    return this.#count('sendBatch', () => this.inner.sendBatch(queue, messages))
  }
  receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    return this.#count('receiveBatch', () => this.inner.receiveBatch(queue, request))
  }
  ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    return this.#count('ackBatch', () => this.inner.ackBatch(queue, receiptHandles))
  }
  nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    return this.#count('nack', () => this.inner.nack(queue, receiptHandle, delaySeconds))
  }
  renewLease(queue: string, receiptHandle: string): Promise<void> {
    return this.#count('renewLease', () => this.inner.renewLease(queue, receiptHandle))
  }
  isReceiptHandle(receiptHandle: string): boolean {
    return this.inner.isReceiptHandle(receiptHandle)
  }
  classifyError(error: unknown): QueueError | undefined {
    return this.inner.classifyError(error)
  }
  close(): Promise<void> {
    return this.inner.close()
  }

  #count<R>(method: string, call: () => Promise<R>): Promise<R> {
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1)
    return call()
  }
}

// `counting:?createIfMissing=true` now opens a CountingDriver over a memory driver.
registerScheme('counting', (_url, params) => {
  const createIfMissing = params.boolean('createIfMissing') ?? false
  return new CountingDriver(createMemoryDriver({ createIfMissing }))
})

const client = await openQueueClient('counting:?createIfMissing=true')
const queue = client.queue('audited')
await queue.sendBatch([{ payload: 'a' }, { payload: 'b' }])
// Looking through the wrapper: the inner driver's counts and a lock-free peek, no receive.
const stats = await queue.stats()
const peeked = await queue.peek({ maxMessages: 10 })
console.log(
  'stats:',
  stats,
  'peeked:',
  peeked.map((m) => m.payload),
)
if (stats.visible !== 2 || peeked.some((m) => m.deliveries !== 0)) process.exitCode = 1
const got = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
await queue.ackBatch(got)
const calls = Object.fromEntries((client.driver as CountingDriver).calls)
console.log('driver calls:', calls)
await client.close()
if (calls.sendBatch !== 1 || calls.receiveBatch !== 1 || calls.ackBatch !== 1) process.exitCode = 1
