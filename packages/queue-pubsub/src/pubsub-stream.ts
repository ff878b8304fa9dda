import { randomUUID } from 'node:crypto'
import {
  backoffDelay,
  type DeliveryStream,
  type StreamingReceiver,
  type StreamRequest,
  sleep,
} from '@anyqueue/queue-core/driver'
import type { protos, v1 } from '@google-cloud/pubsub'
import { isCancelled } from './pubsub-errors.js'
import { toIncoming } from './pubsub-message.js'
import { StreamBuffer } from './pubsub-stream-buffer.js'

type Received = protos.google.pubsub.v1.IReceivedMessage
type PullStream = ReturnType<v1.SubscriberClient['streamingPull']>

/** What a stream needs of its driver. */
export interface StreamDeps {
  /** The ack deadline asked for every delivery, in seconds (the driver's lease). */
  leaseSeconds: number
  /** The subscriber client and the queue's full subscription name (checked as the driver checks it). */
  resolve(queue: string): Promise<{ subscriber: v1.SubscriberClient; subscription: string }>
  /** A modAck that treats an unknown ack id as a message already gone. */
  modAck(subscription: string, ackIds: string[], seconds: number): Promise<void>
  /** A vanished queue: the driver checks it again next time. */
  forget(queue: string): void
}

/** The SDK's own keepalive: an empty request every 30 s keeps an idle stream from being cut. */
const KEEPALIVE_MS = 30_000
const RECONNECT_MIN_MS = 100
const RECONNECT_MAX_MS = 10_000

/**
 * Pub/Sub's StreamingPull as the driver's `streaming` path: one bidirectional gRPC stream per open
 * consumer (the v1 `SubscriberClient.streamingPull()`, the same call the SDK's `Subscription` makes
 * underneath, without its second lease manager, flow controller and message objects: anyqueue's
 * consumer already keeps leases, slots and messages, so the SDK's would be paid for twice).
 *
 * Acks, nacks and lease extensions are not sent on the stream: they go through the driver's unary
 * `acknowledge` / `modifyAckDeadline` (as the SDK's own ack queue sends them), whose answers say
 * they arrived. A stream that breaks therefore loses no ack and repeats none; ack ids stay valid
 * across streams, so a reconnect changes nothing for messages already delivered.
 */
export class PubSubStreaming implements StreamingReceiver {
  readonly #deps: StreamDeps
  readonly #open = new Set<PubSubDeliveryStream>()

  constructor(deps: StreamDeps) {
    this.#deps = deps
  }

  open(queue: string, request: StreamRequest): DeliveryStream {
    const stream = new PubSubDeliveryStream(this.#deps, queue, request, () => this.#open.delete(stream))
    this.#open.add(stream)
    return stream
  }

  /** Ends every open stream (the driver is closing). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#open].map((stream) => stream.close()))
  }
}

/** One consumer's stream: reconnects until closed, hands deliveries over within the credit. */
class PubSubDeliveryStream implements DeliveryStream {
  readonly #deps: StreamDeps
  readonly #queue: string
  readonly #request: StreamRequest
  readonly #forget: () => void
  /** One id across reconnects, so Pub/Sub sees the same client come back. */
  readonly #clientId = randomUUID()
  readonly #buffer: StreamBuffer
  #credit: number
  #subscription: string | undefined
  #stream: PullStream | undefined
  #keepalive: NodeJS.Timeout | undefined
  #closed = false
  /** Aborted by close(): cuts a reconnect backoff short. */
  readonly #stopping = new AbortController()
  #closing: Promise<void> | undefined
  #running: Promise<void>
  #draining = false

  constructor(deps: StreamDeps, queue: string, request: StreamRequest, forget: () => void) {
    this.#deps = deps
    this.#queue = queue
    this.#request = request
    this.#forget = forget
    this.#credit = request.maxOutstanding
    this.#buffer = new StreamBuffer(deps.leaseSeconds, (ackIds) => this.#extend(ackIds))
    this.#running = this.#run()
  }

  release(count: number): void {
    this.#credit += count
    this.#drain()
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    this.#stopping.abort()
    this.#stream?.cancel()
    await this.#running
    this.#forget()
    // Held back beyond the credit, never handed over: released for redelivery now.
    const held = this.#buffer.clear()
    if (held.length > 0 && this.#subscription) {
      await this.#deps.modAck(this.#subscription, held, 0).catch(this.#request.onError)
    }
  }

  /** Connects, and reconnects after each error with backoff, until closed. */
  async #run(): Promise<void> {
    let failures = 0
    while (!this.#closed) {
      let delivered = false
      try {
        const { subscriber, subscription } = await this.#deps.resolve(this.#queue)
        this.#subscription = subscription
        if (this.#closed) return
        await this.#pull(subscriber, subscription, () => {
          delivered = true
        })
      } catch (error) {
        if (this.#closed) return
        if ((error as { code?: unknown })?.code === 5) this.#deps.forget(this.#queue)
        this.#request.onError(error)
      }
      if (delivered) failures = 0
      if (this.#closed) return
      await sleep(
        Math.max(RECONNECT_MIN_MS, backoffDelay(failures++, RECONNECT_MIN_MS, RECONNECT_MAX_MS)),
        this.#stopping.signal,
      )
    }
  }

  /** One stream, until it ends: resolves on a clean end or cancel by close(), rejects on an error. */
  #pull(subscriber: v1.SubscriberClient, subscription: string, onData: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stream = subscriber.streamingPull()
      this.#stream = stream
      let settled = false
      const settle = (error?: unknown) => {
        if (settled) return
        settled = true
        clearInterval(this.#keepalive)
        if (this.#stream === stream) this.#stream = undefined
        if (error === undefined || this.#closed || isCancelled(error)) resolve()
        else reject(error)
      }
      stream.on('data', (response: { receivedMessages?: Received[] | null }) => {
        onData()
        const received = response.receivedMessages
        if (received && received.length > 0) {
          this.#buffer.push(received)
          this.#drain()
        }
      })
      stream.on('error', settle)
      stream.on('end', () => settle())
      stream.on('close', () => settle())
      stream.write({
        subscription,
        streamAckDeadlineSeconds: this.#deps.leaseSeconds,
        // Server-side flow control where Pub/Sub applies it; the credit below holds either way.
        maxOutstandingMessages: this.#request.maxOutstanding,
        clientId: this.#clientId,
      })
      this.#keepalive = setInterval(() => stream.write({}), KEEPALIVE_MS)
      this.#keepalive.unref?.()
      if (this.#closed) stream.cancel()
    })
  }

  /** Hands buffered deliveries over while there is credit; pauses the stream while some wait. */
  #drain(): void {
    if (this.#draining) return
    this.#draining = true
    try {
      while (this.#credit > 0 && this.#buffer.size > 0 && !this.#closed) {
        const batch = this.#buffer.take(this.#credit)
        this.#credit -= batch.length
        this.#request.deliver(batch.map(toIncoming))
      }
    } finally {
      this.#draining = false
    }
    const stream = this.#stream
    if (stream === undefined) return
    if (this.#buffer.size >= this.#request.maxOutstanding) stream.pause()
    else if (stream.isPaused()) stream.resume()
  }

  /** Keeps the leases of held-back deliveries alive. */
  #extend(ackIds: string[]): void {
    const subscription = this.#subscription
    if (subscription === undefined || this.#closed) return
    this.#deps.modAck(subscription, ackIds, this.#deps.leaseSeconds).catch(this.#request.onError)
  }
}
