import { readOptions } from './arguments.js'
import { checkDriver } from './check-driver.js'
import type { ClientLink } from './client-link.js'
import type { Capabilities, QueueDriver } from './contract.js'
import { QueueError } from './errors.js'
import { InFlight } from './in-flight.js'
import { nameMissingQueue } from './not-found.js'
import type { Payload, PayloadShape } from './payload.js'
import { assertQueueName, Queue, type QueueOwner } from './queue.js'
import { backoffDelay, type ResolvedRetry, type RetryOptions, resolveRetry, sleep } from './retry.js'
import { subscriptionAddress } from './subscription-address.js'
import { assertTopicName, createSubscription, type SubscriptionOptions, Topic, topicDriver } from './topic.js'

export interface QueueClientOptions {
  /** Retries of errors the driver classified as retryable; `false` turns them off. */
  retry?: RetryOptions | false
}

/**
 * The portable entry point: wraps one driver (one connection, one store) and hands out `Queue`s.
 * Closing the client closes every queue it opened and then the driver.
 */
export class QueueClient implements QueueOwner, ClientLink {
  readonly driver: QueueDriver
  readonly #retry: ResolvedRetry
  readonly #queues = new Set<Queue<any>>()
  readonly #inflight = new InFlight()
  #closing: Promise<void> | undefined

  constructor(driver: QueueDriver, options: QueueClientOptions = {}) {
    this.driver = checkDriver(driver)
    this.#retry = resolveRetry(
      readOptions(options, 'options', ['retry']).retry as QueueClientOptions['retry'],
    )
  }

  get capabilities(): Capabilities {
    return this.driver.capabilities
  }

  get closed(): boolean {
    return this.#closing !== undefined
  }

  /** A handle on one queue. Cheap and lazy: a missing queue fails on first use with `QUEUE_NOT_FOUND`. */
  queue<T extends PayloadShape<T> = Payload>(name: string): Queue<T> {
    assertQueueName(name)
    this.#assertOpen('queue')
    const queue = new Queue<T>(this, name)
    this.#queues.add(queue)
    return queue
  }

  /** Creates the queue if it is missing. Idempotent. */
  async createQueue(name: string): Promise<void> {
    assertQueueName(name)
    this.#assertOpen('createQueue')
    return this.execute(() => this.driver.createQueue(name))
  }

  /** Deletes the queue and every message in it. A missing queue is a no-op. */
  async deleteQueue(name: string): Promise<void> {
    assertQueueName(name)
    this.#assertOpen('deleteQueue')
    return this.execute(() => this.driver.deleteQueue(name))
  }

  /** A handle on one topic, to publish to (topics: see `capabilities.topics`). Cheap and lazy. */
  topic<T extends PayloadShape<T> = Payload>(name: string): Topic<T> {
    assertTopicName(name, 'topic')
    topicDriver(this, 'topic')
    return new Topic<T>(this, name)
  }

  /** Creates the topic if it is missing. Idempotent. */
  async createTopic(name: string): Promise<void> {
    assertTopicName(name, 'topic')
    const topics = topicDriver(this, 'createTopic')
    return this.execute(() => topics.createTopic(name))
  }

  /** Deletes the topic and every subscription of it. A missing topic is a no-op. */
  async deleteTopic(name: string): Promise<void> {
    assertTopicName(name, 'topic')
    const topics = topicDriver(this, 'deleteTopic')
    return this.execute(() => topics.deleteTopic(name))
  }

  /**
   * Creates a subscription of `topic` if it is missing: from then on it receives every message
   * published that matches `filter`, never one published before.
   */
  async createSubscription(topic: string, name: string, options?: SubscriptionOptions): Promise<void> {
    return createSubscription(this, topic, name, options)
  }

  /** Deletes the subscription and its messages. A missing one is a no-op. */
  async deleteSubscription(topic: string, name: string): Promise<void> {
    assertTopicName(topic, 'topic')
    assertTopicName(name, 'subscription')
    const topics = topicDriver(this, 'deleteSubscription')
    return this.execute(() => topics.deleteSubscription(topic, name))
  }

  /**
   * A subscription, consumed exactly like a queue (receive, ack, nack, renewLease, `consume()`).
   * Its `name` is the address `topic/subscription`.
   */
  subscription<T extends PayloadShape<T> = Payload>(topic: string, name: string): Queue<T> {
    assertTopicName(topic, 'topic')
    assertTopicName(name, 'subscription')
    topicDriver(this, 'subscription')
    const queue = new Queue<T>(this, subscriptionAddress(topic, name))
    this.#queues.add(queue)
    return queue
  }

  /** Waits for in-flight calls, closes every queue, then the driver. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.all([...this.#queues].map((q) => q.close()))
      await this.#inflight.settled()
      await this.driver.close()
    })()
    return this.#closing
  }

  /**
   * @internal Runs one driver call of an operation already accepted (public methods check for
   * close on entry): classifies errors, retries retryable ones, and counts as in flight for close().
   * With `retry: false` it tries once: for a caller that retries by itself (`sendWithRetry`, per
   * message), so that a call has one retry budget, never one inside another.
   */
  execute<R>(call: () => Promise<R>, queue?: string, retry = true): Promise<R> {
    return this.#inflight.track(this.#withRetry(call, queue, retry ? this.#retry.maxAttempts : 1))
  }

  /** @internal */
  forget(queue: object): void {
    this.#queues.delete(queue as Queue<any>)
  }

  /**
   * @internal Turns anything a driver threw into a QueueError, or undefined for a bug. With the
   * `queue` of the call, a `QUEUE_NOT_FOUND` names it and says how to create it.
   */
  classify(error: unknown, queue?: string): QueueError | undefined {
    let classified: QueueError | undefined
    if (QueueError.isInstance(error)) classified = error
    else {
      try {
        classified = this.driver.classifyError(error)
      } catch {
        return undefined
      }
    }
    return classified && queue !== undefined ? nameMissingQueue(classified, queue) : classified
  }

  /** @internal */
  get retryPolicy(): ResolvedRetry {
    return this.#retry
  }

  async #withRetry<R>(call: () => Promise<R>, queue: string | undefined, maxAttempts: number): Promise<R> {
    const { initialDelayMs, maxDelayMs } = this.#retry
    for (let attempt = 1; ; attempt++) {
      try {
        return await call()
      } catch (error) {
        const classified = this.classify(error, queue)
        if (classified === undefined) throw error
        if (!classified.retryable || attempt >= maxAttempts) throw classified
        await sleep(backoffDelay(attempt - 1, initialDelayMs, maxDelayMs))
      }
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closing) throw new QueueError('CLOSED', `${operation}() was called after the client was closed`)
  }
}
