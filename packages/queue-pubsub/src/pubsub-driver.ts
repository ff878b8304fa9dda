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
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolvePrefix,
  resolveUntypedBody,
  type SendResult,
  sleep,
} from '@anyqueue/queue-core/driver'
import { PubSub, v1 } from '@google-cloud/pubsub'
import { DRIVER_NAME, HANDLE_PREFIX } from './constants.js'
import { abortable } from './pubsub-abort.js'
import { classifyPubSubError, isDeadlineExceeded, isInvalidArgument, isNotFound } from './pubsub-errors.js'
import { listPubSubQueues } from './pubsub-list.js'
import { ackId, toIncoming, toPubSub } from './pubsub-message.js'
import type { PubSubDriverOptions } from './pubsub-options.js'
import {
  type Clients,
  createDeadLettered,
  deleteDeadLettered,
  ignoreMissing,
  keepExisting,
  NO_RETRY,
} from './pubsub-resources.js'
import { PubSubTopics } from './pubsub-topics.js'

/** Pub/Sub's ack deadline bounds. */
const MIN_LEASE = 10
const MAX_LEASE = 600
/** Below this much wait left, poll with `returnImmediately` rather than risk a pull cut by its deadline. */
const BLOCKING_PULL_MIN_MS = 5_000
const POLL_INTERVAL_MS = 200
const PREFIX = /^(?!goog)[A-Za-z][A-Za-z0-9_-]{0,23}$/

interface ReadyQueue {
  topic: string
  subscription: string
  /** Set when the subscription's own ack deadline differs from the lease: then each pull is followed by a modAck. */
  adjustDeadline: boolean
}

/** Every option `PubSubDriverOptions` has: anything else is a typo, refused by name. */
const OPTION_KEYS = [
  'pubsub',
  'clientConfig',
  'leaseSeconds',
  'createIfMissing',
  'prefix',
  'maxDeliveryAttempts',
  'untypedBody',
] as const satisfies readonly (keyof PubSubDriverOptions)[]

export class PubSubDriver implements QueueDriver {
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
  readonly topics: PubSubTopics
  #clients: Promise<Clients> | undefined

  constructor(options: PubSubDriverOptions = {}) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
    const leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: MIN_LEASE,
      max: MAX_LEASE,
      driver: DRIVER_NAME,
    })
    const prefix = resolvePrefix(options.prefix, {
      pattern: PREFIX,
      described: 'a letter (not "goog") then up to 23 of A-Z, a-z, 0-9, "_", "-"',
      limit: 24,
      fallback: 'aq-',
      driver: DRIVER_NAME,
    })
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
      stats: false,
      peek: false,
      topics: Object.freeze({
        filters: this.pubsub.isEmulator
          ? Object.freeze([] as const)
          : Object.freeze(['equals', 'notEquals', 'exists', 'prefix'] as const),
      }),
    })
    this.topics = new PubSubTopics({
      prefix,
      leaseSeconds,
      maxDeliveryAttempts,
      connect: () => this.#connect(),
      backendName: (queue) => this.backendName(queue),
      forget: (queue) => this.#ready.delete(queue),
    })
  }

  /**
   * The topic and subscription id for a portable name: the prefix, then the name unchanged. A
   * subscription (`topic/subscription`) is `<prefix><topic>.sub.<subscription>`; a portable topic's
   * own id is `topics.backendName()`. `.` never occurs in a portable name, so no two names meet.
   */
  backendName(queue: string): string {
    const address = parseSubscriptionAddress(queue)
    if (address) return `${this.#prefix}${address.topic}.sub.${address.subscription}`
    return this.#prefix + queue
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
    const clients = await this.#connect()
    this.#ready.delete(queue)
    const id = this.backendName(queue)
    await deleteDeadLettered(clients, id)
    await clients.publisher
      .deleteTopic({ topic: `projects/${clients.project}/topics/${id}` }, NO_RETRY)
      .catch(ignoreMissing)
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
      const id = this.backendName(queue)
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
    const clients = await this.#connect()
    const id = this.backendName(queue)
    const topic = `projects/${clients.project}/topics/${id}`
    await clients.publisher.createTopic({ name: topic }, NO_RETRY).catch(keepExisting)
    await createDeadLettered(clients, {
      id,
      topic,
      ackDeadlineSeconds: this.leaseSeconds,
      maxDeliveryAttempts: this.#maxDeliveryAttempts,
    })
    return { topic, subscription: `projects/${clients.project}/subscriptions/${id}`, adjustDeadline: false }
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
