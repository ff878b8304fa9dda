import {
  type Capabilities,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  PromiseCache,
  parseSubscriptionAddress,
  type QueueDriver,
  QueueError,
  type ReceiveRequest,
  resolveLeaseSeconds,
  resolveUntypedBody,
  type SendResult,
  type SubscriptionFilter,
  type TopicDriver,
} from '@anyqueue/queue-core/driver'
import { PubSub, v1 } from '@google-cloud/pubsub'
import { CONTENT_TYPE_ATTRIBUTE, DEAD_LETTER_SUFFIX, DRIVER_NAME, HANDLE_PREFIX } from './constants.js'
import {
  classifyPubSubError,
  isAlreadyExists,
  isDeadlineExceeded,
  isInvalidArgument,
  isNotFound,
} from './pubsub-errors.js'
import { filterExpression } from './pubsub-filter.js'
import { listPubSubQueues } from './pubsub-list.js'
import type { PubSubDriverOptions } from './pubsub-options.js'

/** Pub/Sub's ack deadline bounds. */
const MIN_LEASE = 10
const MAX_LEASE = 600
/** google-gax retries by default; the portable layer retries, so every call turns that off. */
const NO_RETRY = { retry: { retryCodes: [] as number[] }, timeout: 30_000 }
/** Below this much wait left, poll with `returnImmediately` rather than risk a pull cut by its deadline. */
const BLOCKING_PULL_MIN_MS = 5_000
const POLL_INTERVAL_MS = 200
const PREFIX = /^(?!goog)[A-Za-z][A-Za-z0-9_-]{0,23}$/

interface Clients {
  project: string
  publisher: v1.PublisherClient
  subscriber: v1.SubscriberClient
}

interface ReadyQueue {
  topic: string
  subscription: string
  /** Set when the subscription's own ack deadline differs from the lease: then each pull is followed by a modAck. */
  adjustDeadline: boolean
}

export class PubSubDriver implements QueueDriver, TopicDriver {
  readonly name = DRIVER_NAME
  /**
   * Google's emulator accepts a subscription's filter expression but does not apply it (every
   * message is delivered), so against the emulator the driver declares no filter operators, and a
   * filter is NOT_SUPPORTED rather than silently ignored.
   */
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  /** The `PubSub` client: an escape hatch for anything anyqueue does not cover. */
  readonly pubsub: PubSub
  readonly #ownsClient: boolean
  readonly #options: PubSubDriverOptions
  readonly #prefix: string
  readonly #maxDeliveryAttempts: number
  readonly #ready = new PromiseCache<string, ReadyQueue>()
  #clients: Promise<Clients> | undefined

  constructor(options: PubSubDriverOptions = {}) {
    const leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: MIN_LEASE,
      max: MAX_LEASE,
      driver: DRIVER_NAME,
    })
    const prefix = options.prefix ?? 'aq-'
    if (!PREFIX.test(prefix)) {
      throw invalidOption(
        'prefix',
        'a letter (not "goog") then up to 23 of A-Z, a-z, 0-9, "_", "-"',
        prefix,
        24,
      )
    }
    const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 100
    if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 5 || maxDeliveryAttempts > 100) {
      throw invalidOption('maxDeliveryAttempts', 'a whole number from 5 to 100', maxDeliveryAttempts, 100)
    }
    this.leaseSeconds = leaseSeconds
    this.#options = options
    this.#prefix = prefix
    this.#maxDeliveryAttempts = maxDeliveryAttempts
    this.#ownsClient = options.pubsub === undefined
    this.pubsub = options.pubsub ?? new PubSub(options.clientConfig)
    this.capabilities = Object.freeze({
      persistent: true,
      fifo: false,
      delay: 0,
      nackDelay: MAX_LEASE,
      renewLease: true,
      deadLetter: true,
      maxBatch: LIMITS.maxBatch,
      minLeaseSeconds: MIN_LEASE,
      staleHandles: 'may-act',
      untypedBody: resolveUntypedBody(options.untypedBody, 'json-or-text', DRIVER_NAME),
      topics: Object.freeze({
        filters: this.pubsub.isEmulator
          ? Object.freeze([] as const)
          : Object.freeze(['equals', 'notEquals', 'exists', 'prefix'] as const),
      }),
    })
  }

  /**
   * The topic and subscription id for a portable name: the prefix, then the name unchanged. A
   * subscription (`topic/subscription`) is `<prefix><topic>.sub.<subscription>`; a portable topic's
   * own id is `topicName()`. `.` never occurs in a portable name, so no two names meet.
   */
  resourceName(queue: string): string {
    const address = parseSubscriptionAddress(queue)
    if (address) return `${this.#prefix}${address.topic}.sub.${address.subscription}`
    return this.#prefix + queue
  }

  /** The Pub/Sub topic id of a portable topic: `<prefix><topic>.topic`. */
  topicName(topic: string): string {
    return `${this.#prefix}${topic}.topic`
  }

  async createTopic(topic: string): Promise<void> {
    const { project, publisher } = await this.#connect()
    await publisher
      .createTopic({ name: `projects/${project}/topics/${this.topicName(topic)}` }, NO_RETRY)
      .catch((error: unknown) => {
        if (!isAlreadyExists(error)) throw error
      })
  }

  /**
   * Pub/Sub detaches a deleted topic's subscriptions rather than deleting them: the driver deletes
   * every subscription of the topic (and their dead-letter topics) first.
   */
  async deleteTopic(topic: string): Promise<void> {
    const { project, publisher } = await this.#connect()
    const name = `projects/${project}/topics/${this.topicName(topic)}`
    let subscriptions: string[]
    try {
      ;[subscriptions] = await publisher.listTopicSubscriptions({ topic: name }, NO_RETRY)
    } catch (error) {
      if (isNotFound(error)) return
      throw error
    }
    const ownPrefix = `projects/${project}/subscriptions/${this.#prefix}${topic}.sub.`
    for (const subscription of subscriptions) {
      if (!subscription.startsWith(ownPrefix)) continue
      this.#ready.delete(`${topic}/${subscription.slice(ownPrefix.length)}`)
      await this.#deleteSubscriptionNamed(subscription.slice(subscription.lastIndexOf('/') + 1))
    }
    await publisher.deleteTopic({ topic: name }, NO_RETRY).catch((error: unknown) => {
      if (!isNotFound(error)) throw error
    })
  }

  /**
   * A subscription with the filter as its filter expression, and its own dead-letter topic and
   * subscription (Pub/Sub counts delivery attempts only under a dead-letter policy).
   */
  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const expression = filterExpression(filter)
    const { project, publisher, subscriber } = await this.#connect()
    const topicName = `projects/${project}/topics/${this.topicName(topic)}`
    try {
      await publisher.getTopic({ topic: topicName }, NO_RETRY)
    } catch (error) {
      if (isNotFound(error)) {
        throw new QueueError(
          'QUEUE_NOT_FOUND',
          `topic "${topic}" does not exist: create it with createTopic()`,
          {
            driver: DRIVER_NAME,
            cause: error,
          },
        )
      }
      throw error
    }
    const id = this.resourceName(`${topic}/${subscription}`)
    const name = `projects/${project}/subscriptions/${id}`
    const deadLetterTopic = `projects/${project}/topics/${id}${DEAD_LETTER_SUFFIX}`
    const keepExisting = (error: unknown) => {
      if (!isAlreadyExists(error)) throw error
    }
    await publisher.createTopic({ name: deadLetterTopic }, NO_RETRY).catch(keepExisting)
    await subscriber
      .createSubscription(
        { name: name + DEAD_LETTER_SUFFIX, topic: deadLetterTopic, ackDeadlineSeconds: this.leaseSeconds },
        NO_RETRY,
      )
      .catch(keepExisting)
    await subscriber
      .createSubscription(
        {
          name,
          topic: topicName,
          ackDeadlineSeconds: this.leaseSeconds,
          deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: this.#maxDeliveryAttempts },
          ...(expression === undefined ? {} : { filter: expression }),
        },
        NO_RETRY,
      )
      .catch(keepExisting)
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    this.#ready.delete(`${topic}/${subscription}`)
    await this.#deleteSubscriptionNamed(this.resourceName(`${topic}/${subscription}`))
  }

  /** Publishes to the topic: Pub/Sub fans it out to the subscriptions whose filter matches. */
  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const { project, publisher } = await this.#connect()
    const [reply] = await publisher.publish(
      { topic: `projects/${project}/topics/${this.topicName(topic)}`, messages: messages.map(toPubSub) },
      NO_RETRY,
    )
    return (reply.messageIds ?? []).map((id) => ({ id }))
  }

  async #deleteSubscriptionNamed(id: string): Promise<void> {
    const { project, publisher, subscriber } = await this.#connect()
    const ignoreMissing = (error: unknown) => {
      if (!isNotFound(error)) throw error
    }
    for (const name of [id, id + DEAD_LETTER_SUFFIX]) {
      await subscriber
        .deleteSubscription({ subscription: `projects/${project}/subscriptions/${name}` }, NO_RETRY)
        .catch(ignoreMissing)
    }
    await publisher
      .deleteTopic({ topic: `projects/${project}/topics/${id}${DEAD_LETTER_SUFFIX}` }, NO_RETRY)
      .catch(ignoreMissing)
  }

  /** The queues (topic and subscription pairs) by portable name: see `pubsub-list.ts`. */
  async listQueues(): Promise<string[]> {
    const { project, subscriber } = await this.#connect()
    return listPubSubQueues(subscriber, project, this.#prefix, NO_RETRY)
  }

  async createQueue(queue: string): Promise<void> {
    await this.#ready.set(queue, this.#create(queue))
  }

  async deleteQueue(queue: string): Promise<void> {
    const { project, publisher, subscriber } = await this.#connect()
    this.#ready.delete(queue)
    const id = this.resourceName(queue)
    const ignoreMissing = (error: unknown) => {
      if (!isNotFound(error)) throw error
    }
    for (const name of [id, id + DEAD_LETTER_SUFFIX]) {
      await subscriber
        .deleteSubscription({ subscription: `projects/${project}/subscriptions/${name}` }, NO_RETRY)
        .catch(ignoreMissing)
    }
    for (const name of [id, id + DEAD_LETTER_SUFFIX]) {
      await publisher
        .deleteTopic({ topic: `projects/${project}/topics/${name}` }, NO_RETRY)
        .catch(ignoreMissing)
    }
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    if (parseSubscriptionAddress(queue)) {
      // Its topic would fan the message out to every subscription, not this one alone.
      throw new QueueError('NOT_SUPPORTED', 'Pub/Sub cannot send to one subscription of a topic', {
        driver: DRIVER_NAME,
      })
    }
    const { publisher } = await this.#connect()
    const { topic } = await this.#queue(queue)
    const [reply] = await this.#call(queue, () =>
      publisher.publish(
        {
          topic,
          messages: messages.map(toPubSub),
        },
        NO_RETRY,
      ),
    )
    return (reply.messageIds ?? []).map((id) => ({ id }))
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const { subscriber } = await this.#connect()
    const ready = await this.#queue(queue)
    const deadline = Date.now() + request.waitSeconds * 1000
    for (;;) {
      const remaining = deadline - Date.now()
      // The emulator answers an empty blocking pull after a few seconds: pull again until the deadline.
      const blocking = remaining >= BLOCKING_PULL_MIN_MS
      const pulling = this.#call(queue, () =>
        subscriber.pull(
          {
            subscription: ready.subscription,
            maxMessages: request.maxMessages,
            returnImmediately: !blocking,
          },
          { ...NO_RETRY, timeout: blocking ? remaining : NO_RETRY.timeout },
        ),
      ).then(
        ([reply]) => reply.receivedMessages ?? [],
        (error: unknown) => {
          if (blocking && isDeadlineExceeded(error)) return []
          throw error
        },
      )
      const received = await abortable(pulling, request.signal, (late) => {
        // The pull outlived an abort: release what it leased instead of letting it sit out the lease.
        if (late.length > 0)
          void this.#modAck(
            ready.subscription,
            late.map((m) => m.ackId ?? ''),
            0,
          )
      })
      if (received.length > 0) {
        if (ready.adjustDeadline) {
          await this.#modAck(
            ready.subscription,
            received.map((m) => m.ackId ?? ''),
            this.leaseSeconds,
          )
        }
        return received.map(toIncoming)
      }
      const left = deadline - Date.now()
      if (left <= 0 || request.signal?.aborted) return []
      if (!blocking) await sleep(Math.min(POLL_INTERVAL_MS, left), request.signal)
    }
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const { subscriber } = await this.#connect()
    const { subscription } = await this.#queue(queue)
    const ackIds = receiptHandles.map(ackId)
    try {
      await this.#call(queue, () => subscriber.acknowledge({ subscription, ackIds }, NO_RETRY))
    } catch (error) {
      // One unknown ack id fails the whole request: ack the others one by one, the unknown as no-ops.
      if (!isInvalidArgument(error)) throw error
      if (ackIds.length === 1) return
      for (const id of ackIds) {
        await this.#call(queue, () => subscriber.acknowledge({ subscription, ackIds: [id] }, NO_RETRY)).catch(
          (each: unknown) => {
            if (!isInvalidArgument(each)) throw each
          },
        )
      }
    }
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const { subscription } = await this.#queue(queue)
    await this.#call(queue, () => this.#modAck(subscription, [ackId(receiptHandle)], delaySeconds))
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const { subscription } = await this.#queue(queue)
    await this.#call(queue, () => this.#modAck(subscription, [ackId(receiptHandle)], this.leaseSeconds))
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return (
      receiptHandle.length > HANDLE_PREFIX.length &&
      receiptHandle.startsWith(HANDLE_PREFIX) &&
      !/\s/.test(receiptHandle)
    )
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifyPubSubError(error)
  }

  async close(): Promise<void> {
    const clients = await this.#clients?.catch(() => undefined)
    await Promise.all([clients?.publisher.close(), clients?.subscriber.close()])
    if (this.#ownsClient) await this.pubsub.close()
  }

  /** A modAck that treats an ack id Pub/Sub no longer knows as a message already gone. */
  async #modAck(subscription: string, ackIds: string[], ackDeadlineSeconds: number): Promise<void> {
    const { subscriber } = await this.#connect()
    await subscriber
      .modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds }, NO_RETRY)
      .catch((error: unknown) => {
        if (!isInvalidArgument(error)) throw error
      })
  }

  /** Low-level clients, built once from the `PubSub` client's own configuration (emulator included). */
  #connect(): Promise<Clients> {
    this.#clients ??= (async () => {
      // getClientConfig() resolves the project and the emulator endpoint, as the library documents for v1 clients.
      const config = (await this.pubsub.getClientConfig()) as ConstructorParameters<
        typeof v1.PublisherClient
      >[0]
      const project = this.pubsub.projectId
      return {
        project,
        publisher: new v1.PublisherClient(config),
        subscriber: new v1.SubscriberClient(config),
      }
    })()
    return this.#clients
  }

  /**
   * The queue's topic and subscription, checked once: sending to a topic without its subscription
   * would drop the message, so a missing subscription is `QUEUE_NOT_FOUND` for send too.
   */
  #queue(queue: string): Promise<ReadyQueue> {
    return this.#ready.get(queue, async () => {
      const { project, subscriber } = await this.#connect()
      const id = this.resourceName(queue)
      try {
        const [subscription] = await subscriber.getSubscription(
          { subscription: `projects/${project}/subscriptions/${id}` },
          NO_RETRY,
        )
        return {
          topic: subscription.topic ?? `projects/${project}/topics/${id}`,
          subscription: subscription.name ?? `projects/${project}/subscriptions/${id}`,
          adjustDeadline: subscription.ackDeadlineSeconds !== this.leaseSeconds,
        }
      } catch (error) {
        // A subscription is made by createSubscription, never on first use.
        if (isNotFound(error) && this.#options.createIfMissing && !parseSubscriptionAddress(queue)) {
          return this.#create(queue)
        }
        throw error
      }
    })
  }

  /** Creates the topic, the dead-letter topic and both subscriptions; existing ones are kept. */
  async #create(queue: string): Promise<ReadyQueue> {
    const { project, publisher, subscriber } = await this.#connect()
    const id = this.resourceName(queue)
    const topic = `projects/${project}/topics/${id}`
    const deadLetterTopic = topic + DEAD_LETTER_SUFFIX
    const subscription = `projects/${project}/subscriptions/${id}`
    const keepExisting = (error: unknown) => {
      if (!isAlreadyExists(error)) throw error
    }
    await publisher.createTopic({ name: topic }, NO_RETRY).catch(keepExisting)
    await publisher.createTopic({ name: deadLetterTopic }, NO_RETRY).catch(keepExisting)
    await subscriber
      .createSubscription(
        {
          name: subscription + DEAD_LETTER_SUFFIX,
          topic: deadLetterTopic,
          ackDeadlineSeconds: this.leaseSeconds,
        },
        NO_RETRY,
      )
      .catch(keepExisting)
    await subscriber
      .createSubscription(
        {
          name: subscription,
          topic,
          ackDeadlineSeconds: this.leaseSeconds,
          deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts: this.#maxDeliveryAttempts },
        },
        NO_RETRY,
      )
      .catch(keepExisting)
    return { topic, subscription, adjustDeadline: false }
  }

  /** Runs a call on a queue; a queue that vanished is forgotten so the next call checks it again. */
  async #call<R>(queue: string, call: () => Promise<R>): Promise<R> {
    try {
      return await call()
    } catch (error) {
      if (isNotFound(error)) this.#ready.delete(queue)
      throw error
    }
  }
}

function toPubSub(m: OutgoingMessage) {
  return {
    data: Buffer.from(m.body, 'utf8'),
    attributes:
      m.contentType === undefined
        ? { ...m.attributes }
        : { ...m.attributes, [CONTENT_TYPE_ATTRIBUTE]: m.contentType },
  }
}

type Received = import('@google-cloud/pubsub').protos.google.pubsub.v1.IReceivedMessage

function toIncoming(received: Received): IncomingMessage {
  const message = received.message ?? {}
  const publishTime = message.publishTime
  const enqueuedAt = publishTime
    ? new Date(Number(publishTime.seconds ?? 0) * 1000 + Math.floor((publishTime.nanos ?? 0) / 1e6))
    : new Date()
  const { [CONTENT_TYPE_ATTRIBUTE]: contentType, ...attributes } = message.attributes ?? {}
  return {
    id: message.messageId ?? '',
    // Pub/Sub data is bytes: handed up as they are, for the portable layer's strict UTF-8 decode.
    body: toBytes(message.data),
    contentType,
    receiptHandle: HANDLE_PREFIX + (received.ackId ?? ''),
    // Pub/Sub reports deliveryAttempt only under a dead-letter policy; without one it is 0.
    attempt: received.deliveryAttempt && received.deliveryAttempt > 0 ? received.deliveryAttempt : 1,
    enqueuedAt,
    attributes,
  }
}

/** The gRPC client gives a Buffer; a base64 string only over the REST fallback. */
function toBytes(data: Uint8Array | string | null | undefined): Uint8Array | string {
  if (data === null || data === undefined) return ''
  return typeof data === 'string' ? Buffer.from(data, 'base64') : data
}

const ackId = (receiptHandle: string) => receiptHandle.slice(HANDLE_PREFIX.length)

/** Resolves with `promise`, or with [] once `signal` aborts; a late result goes to `onLate`. */
function abortable<T>(
  promise: Promise<T[]>,
  signal: AbortSignal | undefined,
  onLate: (late: T[]) => void,
): Promise<T[]> {
  if (!signal) return promise
  if (signal.aborted) {
    promise.then(onLate, () => {})
    return Promise.resolve([])
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      promise.then(onLate, () => {})
      resolve([])
    }
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolve()
      },
      { once: true },
    )
  })
}

function invalidOption(field: string, what: string, value: unknown, limit: number): QueueError {
  return new QueueError('INVALID_ARGUMENT', `${field} must be ${what}, got ${String(value)}`, {
    field,
    limit,
    driver: DRIVER_NAME,
  })
}

/** A driver over Google Cloud Pub/Sub: one topic and one subscription per portable queue. */
export function createPubSubDriver(options: PubSubDriverOptions = {}): PubSubDriver {
  return new PubSubDriver(options)
}
