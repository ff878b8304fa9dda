import { randomUUID } from 'node:crypto'
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
import {
  ServiceBusAdministrationClient,
  ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusReceivedMessage,
  type ServiceBusReceiver,
  type ServiceBusSender,
} from '@azure/service-bus'
import { ATTEMPTS_PROPERTY, DRIVER_NAME, ENQUEUED_PROPERTY, SUBSCRIPTION_PROPERTY } from './constants.js'
import { mapBody, propertyString } from './servicebus-body.js'

/** The SDK's AMQP-level message (from @azure/core-amqp, which it does not re-export). */
type AmqpAnnotatedMessage = ServiceBusReceivedMessage['_rawAmqpMessage']

import { classifyServiceBusError, isLockGone } from './servicebus-errors.js'
import { RULE_NAME, subscriptionRule } from './servicebus-filter.js'
import { listServiceBusQueues } from './servicebus-list.js'
import type {
  ServiceBusDriverOptions,
  ServiceBusQueueAdmin,
  ServiceBusTopicAdmin,
} from './servicebus-options.js'

/** Service Bus lock tokens are GUIDs. */
const LOCK_TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const PREFIX = /^[A-Za-z0-9_.-]{0,16}$/
/** Service Bus's own bounds on a lock duration. */
const LOCK_SECONDS = { min: 5, max: 300 } as const
/** Sends estimated below this go out without asking the SDK to size a batch: a quarter of Standard's 256 KiB. */
const SMALL_BATCH_BYTES = 65_536
/** A generous allowance per message for its id, content type, properties and AMQP framing. */
const ENTRY_OVERHEAD_BYTES = 2_048
/** Service Bus subscription names stop at 50 characters (portable names at 64). */
const MAX_SUBSCRIPTION_NAME = 50
/** High enough that the portable consumer's `maxAttempts` decides when a message is dead. */
const MAX_DELIVERY_COUNT = 2_000

type Settlement = 'complete' | 'abandon'

/**
 * Settlements of one kind issued together go out together; a different kind waits until those
 * left. rhea, under the SDK, coalesces the dispositions issued before its next flush into ranges
 * of delivery ids, and a range carries one outcome: a complete and an abandon issued in the same
 * tick on consecutive deliveries can both reach the broker as the first one's outcome.
 */
class SettlementLane {
  #kind: Settlement | undefined
  #flushed: Promise<void> = Promise.resolve()

  async run<T>(kind: Settlement, settle: () => Promise<T>): Promise<T> {
    while (this.#kind !== undefined && this.#kind !== kind) await this.#flushed
    if (this.#kind === undefined) {
      this.#kind = kind
      // rhea flushes on process.nextTick; an immediate runs after it.
      this.#flushed = new Promise((resolve) =>
        setImmediate(() => {
          this.#kind = undefined
          resolve()
        }),
      )
    }
    return settle()
  }
}

interface Entity {
  /** A queue's own sender; for a subscription, its topic's, with `stamp` addressing it. */
  sender: ServiceBusSender
  /** For a subscription: its name, set as `SUBSCRIPTION_PROPERTY` on what is sent to it alone. */
  stamp: string | undefined
  /** Settles and renews by lock token; any receiver of the entity can settle any of its messages. */
  receiver: ServiceBusReceiver
  /** A receiver serves one receive at a time: concurrent receives each take their own. */
  idle: ServiceBusReceiver[]
  receivers: Set<ServiceBusReceiver>
  lane: SettlementLane
  /** Messages this process holds a lock on, by lock token: settled over their link. */
  live: Map<string, ServiceBusReceivedMessage>
}

export class ServiceBusDriver implements QueueDriver, TopicDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  /** The SDK client: an escape hatch for anything anyqueue does not cover. */
  readonly client: ServiceBusClient
  readonly #ownsClient: boolean
  readonly #admin: ServiceBusQueueAdmin | undefined
  readonly #options: ServiceBusDriverOptions
  readonly #prefix: string
  readonly #entities = new Map<string, Entity>()
  readonly #created = new PromiseCache<string, void>()
  readonly #topicSenders = new Map<string, ServiceBusSender>()

  constructor(options: ServiceBusDriverOptions = {}) {
    this.capabilities = Object.freeze({
      persistent: true,
      fifo: false,
      delay: LIMITS.maxNackDelaySeconds,
      nackDelay: LIMITS.maxNackDelaySeconds,
      renewLease: true,
      deadLetter: true,
      maxBatch: LIMITS.maxBatch,
      minLeaseSeconds: LOCK_SECONDS.min,
      staleHandles: 'ignored',
      topics: Object.freeze({ filters: Object.freeze(['equals', 'notEquals', 'exists', 'prefix'] as const) }),
      untypedBody: resolveUntypedBody(options.untypedBody, 'json-or-text', DRIVER_NAME),
    })
    this.leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: LOCK_SECONDS.min,
      max: LOCK_SECONDS.max,
      driver: DRIVER_NAME,
    })
    const prefix = options.prefix ?? ''
    if (!PREFIX.test(prefix)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        'prefix must be at most 16 characters of A-Z, a-z, 0-9, "_", "." or "-"',
        {
          field: 'prefix',
          limit: 16,
          driver: DRIVER_NAME,
        },
      )
    }
    if (!options.client && !options.connectionString) {
      throw new QueueError('INVALID_ARGUMENT', 'connectionString (or client) is required', {
        field: 'connectionString',
        driver: DRIVER_NAME,
      })
    }
    this.#options = options
    this.#prefix = prefix
    this.#ownsClient = options.client === undefined
    this.client =
      options.client ??
      new ServiceBusClient(options.connectionString!, {
        ...options.clientOptions,
        // One attempt per call (the portable layer retries), and no 60 s hang on a dead link.
        retryOptions: { maxRetries: 0, timeoutInMs: 15_000, ...options.clientOptions?.retryOptions },
      })
    const adminConnectionString = options.adminConnectionString ?? options.connectionString
    this.#admin =
      options.admin ??
      (adminConnectionString ? new ServiceBusAdministrationClient(adminConnectionString) : undefined)
  }

  /**
   * The entity name for a portable name: the prefix, then the name — unchanged when it has no capital
   * letter. Service Bus compares entity names case-insensitively, so `Jobs` and `jobs` would be one
   * queue: a name with capitals becomes its lower case, a `.` (never in a portable name) and a hex
   * mask of where the capitals were (`Jobs` → `jobs.1`). Distinct portable names stay distinct. A
   * subscription (`topic/subscription`) is the entity path `<topic entity>/Subscriptions/<name>`.
   */
  entityName(queue: string): string {
    const address = parseSubscriptionAddress(queue)
    if (address)
      return `${this.#topicEntity(address.topic)}/Subscriptions/${caseSafeName(address.subscription)}`
    return this.#prefix + caseSafeName(queue)
  }

  /** A topic's entity name: mapped like a queue's. */
  #topicEntity(topic: string): string {
    return this.#prefix + caseSafeName(topic)
  }

  /** The queues under the prefix, by portable name (`caseSafeName` reversed): see `servicebus-list.ts`. */
  listQueues(): Promise<string[]> {
    return listServiceBusQueues(this.#requireAdmin('listQueues'), this.#prefix)
  }

  async createTopic(topic: string): Promise<void> {
    const admin = this.#requireTopicAdmin('createTopic')
    try {
      await admin.createTopic(this.#topicEntity(topic))
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error
    }
  }

  /** Service Bus deletes a topic's subscriptions with it. */
  async deleteTopic(topic: string): Promise<void> {
    const admin = this.#requireTopicAdmin('deleteTopic')
    const sender = this.#topicSenders.get(topic)
    this.#topicSenders.delete(topic)
    await sender?.close().catch(() => {})
    for (const [key, entity] of [...this.#entities]) {
      if (parseSubscriptionAddress(key)?.topic === topic) {
        this.#entities.delete(key)
        await closeEntity(entity)
      }
    }
    try {
      await admin.deleteTopic(this.#topicEntity(topic))
    } catch (error) {
      if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  /** The subscription is created with its one SQL rule in place of `$Default`, in one call. */
  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    if (subscription.length > MAX_SUBSCRIPTION_NAME) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `subscription name "${subscription}" is ${subscription.length} characters; Service Bus takes at most ${MAX_SUBSCRIPTION_NAME}`,
        { field: 'subscription', limit: MAX_SUBSCRIPTION_NAME, driver: DRIVER_NAME },
      )
    }
    const admin = this.#requireTopicAdmin('createSubscription')
    try {
      await admin.createSubscription(this.#topicEntity(topic), caseSafeName(subscription), {
        lockDuration: `PT${this.leaseSeconds}S`,
        maxDeliveryCount: MAX_DELIVERY_COUNT,
        defaultRuleOptions: {
          name: RULE_NAME,
          filter: { sqlExpression: subscriptionRule(subscription, filter) },
        },
      })
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error
    }
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const admin = this.#requireTopicAdmin('deleteSubscription')
    const address = `${topic}/${subscription}`
    const entity = this.#entities.get(address)
    this.#entities.delete(address)
    if (entity) await closeEntity(entity)
    try {
      await admin.deleteSubscription(this.#topicEntity(topic), caseSafeName(subscription))
    } catch (error) {
      if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    let sender = this.#topicSenders.get(topic)
    if (!sender) {
      sender = this.client.createSender(this.#topicEntity(topic))
      this.#topicSenders.set(topic, sender)
    }
    const results = await this.#send(sender, messages, undefined)
    const notFound = results.find(
      (r) => 'error' in r && classifyServiceBusError(r.error)?.code === 'QUEUE_NOT_FOUND',
    )
    if (notFound && this.#topicSenders.get(topic) === sender) {
      this.#topicSenders.delete(topic)
      void sender.close().catch(() => {})
    }
    return results
  }

  async createQueue(queue: string): Promise<void> {
    const admin = this.#requireAdmin('createQueue')
    try {
      await admin.createQueue(this.entityName(queue), {
        lockDuration: `PT${this.leaseSeconds}S`,
        maxDeliveryCount: MAX_DELIVERY_COUNT,
        ...this.#options.queueOptions,
      })
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error
    }
  }

  async deleteQueue(queue: string): Promise<void> {
    const admin = this.#requireAdmin('deleteQueue')
    const entity = this.#entities.get(queue)
    this.#entities.delete(queue)
    this.#created.delete(queue)
    if (entity) await closeEntity(entity)
    try {
      await admin.deleteQueue(this.entityName(queue))
    } catch (error) {
      if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const { sender, stamp } = await this.#entity(queue)
    const results = await this.#send(sender, messages, stamp)
    // A missing queue fails the whole call, as on every other driver.
    const notFound = results.find(
      (r) => 'error' in r && classifyServiceBusError(r.error)?.code === 'QUEUE_NOT_FOUND',
    )
    if (notFound && 'error' in notFound) this.#forget(queue, notFound.error)
    return results
  }

  async #send(
    sender: ServiceBusSender,
    messages: readonly OutgoingMessage[],
    stamp: string | undefined,
  ): Promise<SendResult[]> {
    const outgoing = messages.map((m) => toServiceBus(m, stamp))
    const chunks = await this.#chunks(sender, messages, outgoing)
    const results: SendResult[] = new Array(messages.length)
    await Promise.all(
      chunks.map(async (indices) => {
        try {
          if (indices.length === 1) await sender.sendMessages(outgoing[indices[0]!]!)
          else await sender.sendMessages(indices.map((i) => outgoing[i]!))
          for (const i of indices) results[i] = { id: String(outgoing[i]!.messageId) }
        } catch (error) {
          for (const i of indices) results[i] = { error }
        }
      }),
    )
    return results
  }

  /**
   * Groups messages into sends that fit Service Bus's batch limit (256 KiB on Standard). Most
   * batches are far below it and go out as they are; larger ones are sized by the SDK itself.
   */
  async #chunks(
    sender: ServiceBusSender,
    messages: readonly OutgoingMessage[],
    outgoing: ServiceBusMessage[],
  ): Promise<number[][]> {
    const all = outgoing.map((_, i) => i)
    let bytes = 0
    for (const m of messages) {
      bytes += m.bytes + ENTRY_OVERHEAD_BYTES
      for (const [name, value] of Object.entries(m.attributes))
        bytes += name.length + Buffer.byteLength(value)
    }
    if (bytes <= SMALL_BATCH_BYTES) return [all]
    const chunks: number[][] = []
    let batch = await sender.createMessageBatch()
    let current: number[] = []
    for (let i = 0; i < outgoing.length; i++) {
      if (batch.tryAddMessage(outgoing[i]!)) {
        current.push(i)
        continue
      }
      if (current.length === 0) {
        throw new QueueError(
          'MESSAGE_TOO_LARGE',
          `messages[${i}] does not fit in a Service Bus batch (${batch.maxSizeInBytes} bytes)`,
          {
            field: `messages[${i}]`,
            limit: batch.maxSizeInBytes,
            driver: DRIVER_NAME,
          },
        )
      }
      chunks.push(current)
      current = []
      batch = await sender.createMessageBatch()
      i--
    }
    if (current.length > 0) chunks.push(current)
    return chunks
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const entity = await this.#entity(queue)
    const receiver = entity.idle.pop() ?? this.#receiver(entity, queue)
    let received: ServiceBusReceivedMessage[]
    let reclaiming = false
    try {
      received = await receiver.receiveMessages(request.maxMessages, {
        // The SDK needs a round trip to learn the queue is empty: give a short poll that long.
        maxWaitTimeInMs: Math.max(request.waitSeconds * 1000, 50),
        abortSignal: request.signal,
      })
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        reclaiming = true
        void this.#reclaim(entity, queue, receiver)
        return []
      }
      this.#forget(queue, error)
      throw error
    } finally {
      if (!reclaiming && entity.receivers.has(receiver)) entity.idle.push(receiver)
    }
    const now = Date.now()
    for (const [token, m] of entity.live) {
      if ((m.lockedUntilUtc?.getTime() ?? 0) < now) entity.live.delete(token)
    }
    return received.map((m) => {
      entity.live.set(m.lockToken!, m)
      return fromServiceBus(m)
    })
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const entity = await this.#entity(queue)
    await Promise.all(receiptHandles.map((handle) => this.#settle(entity, handle, 'complete')))
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const entity = await this.#entity(queue)
    const message = entity.live.get(receiptHandle)
    if (delaySeconds === 0 || !message) {
      // Without the message in hand (another process received it) a delay cannot be honoured:
      // the abandon makes it visible now, which is early but loses nothing.
      return this.#settle(entity, receiptHandle, 'abandon')
    }
    if ((message.lockedUntilUtc?.getTime() ?? 0) <= Date.now()) {
      // The lease is over: the message is on its way back already, and a copy would duplicate it.
      entity.live.delete(receiptHandle)
      return
    }
    // Service Bus cannot abandon with a delay: schedule a copy, then complete the original. A crash
    // between the two redelivers both — a duplicate, never a loss.
    const incoming = fromServiceBus(message)
    const applicationProperties = {
      ...message.applicationProperties,
      [ATTEMPTS_PROPERTY]: incoming.attempt,
      [ENQUEUED_PROPERTY]: incoming.enqueuedAt.getTime(),
      // A subscription's copy goes through its topic, addressed to it alone.
      ...(entity.stamp === undefined ? {} : { [SUBSCRIPTION_PROPERTY]: entity.stamp }),
    }
    const bodyType = message._rawAmqpMessage?.bodyType
    // The copy keeps the body's section type: a value section stays a value, bytes stay bytes.
    const copy: ServiceBusMessage | AmqpAnnotatedMessage =
      bodyType === 'value' || bodyType === 'sequence'
        ? {
            body: message.body,
            bodyType,
            properties: { messageId: message.messageId, contentType: message.contentType },
            applicationProperties: applicationProperties as AmqpAnnotatedMessage['applicationProperties'],
          }
        : {
            body: message.body,
            messageId: message.messageId,
            contentType: message.contentType,
            applicationProperties,
          }
    try {
      await entity.sender.scheduleMessages(copy, new Date(Date.now() + delaySeconds * 1000))
    } catch (error) {
      this.#forget(queue, error)
      throw error
    }
    await this.#settle(entity, receiptHandle, 'complete')
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const entity = await this.#entity(queue)
    const message = entity.live.get(receiptHandle) ?? stub(receiptHandle)
    try {
      await entity.receiver.renewMessageLock(message)
    } catch (error) {
      if (isLockGone(error)) {
        entity.live.delete(receiptHandle)
        return
      }
      throw error
    }
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return LOCK_TOKEN.test(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifyServiceBusError(error)
  }

  async close(): Promise<void> {
    const entities = [...this.#entities.values()]
    this.#entities.clear()
    const senders = [...this.#topicSenders.values()]
    this.#topicSenders.clear()
    await Promise.all([...entities.map(closeEntity), ...senders.map((s) => s.close().catch(() => {}))])
    if (this.#ownsClient) await this.client.close()
  }

  /**
   * Settles over the link the message came on while this process holds it, else through
   * `$management` by lock token. A lock that is gone makes it a no-op: the message was settled
   * already, or it will be delivered again — nothing is lost either way.
   */
  async #settle(entity: Entity, handle: string, kind: Settlement): Promise<void> {
    const message = entity.live.get(handle)
    entity.live.delete(handle)
    try {
      await entity.lane.run(kind, () =>
        kind === 'complete'
          ? entity.receiver.completeMessage(message ?? stub(handle))
          : entity.receiver.abandonMessage(message ?? stub(handle)),
      )
    } catch (error) {
      if (isLockGone(error)) return
      throw error
    }
  }

  async #entity(queue: string): Promise<Entity> {
    const address = parseSubscriptionAddress(queue)
    // A subscription is made by createSubscription, never on first use.
    if (this.#options.createIfMissing && !address) await this.#created.get(queue, () => this.#ensure(queue))
    let entity = this.#entities.get(queue)
    if (!entity) {
      const receiver = this.#newReceiver(queue)
      entity = {
        sender: this.client.createSender(address ? this.#topicEntity(address.topic) : this.entityName(queue)),
        stamp: address?.subscription,
        receiver,
        idle: [receiver],
        receivers: new Set([receiver]),
        lane: new SettlementLane(),
        live: new Map(),
      }
      this.#entities.set(queue, entity)
    }
    return entity
  }

  #receiver(entity: Entity, queue: string): ServiceBusReceiver {
    const receiver = this.#newReceiver(queue)
    entity.receivers.add(receiver)
    return receiver
  }

  /**
   * After an aborted receive. The SDK gives such a receive up without draining its link: the credit
   * it granted stays open, and what the queue delivers on it later reaches no one and stays locked
   * for a whole lease. A short receive on the same link takes those deliveries and drains the
   * credit; they go straight back (abandoned, as a consumer that stops releases what it did not
   * start), and the receiver rejoins the pool. Should that fail, the link is closed instead.
   */
  async #reclaim(entity: Entity, queue: string, receiver: ServiceBusReceiver): Promise<void> {
    try {
      const stray = await receiver.receiveMessages(LIMITS.maxBatch, { maxWaitTimeInMs: 50 })
      await Promise.all(
        stray.map((m) => {
          entity.live.set(m.lockToken!, m)
          return this.#settle(entity, m.lockToken!, 'abandon').catch(() => {})
        }),
      )
      if (entity.receivers.has(receiver)) entity.idle.push(receiver)
    } catch {
      this.#discard(entity, queue, receiver)
    }
  }

  /** Takes a receiver out of the pool for good, replacing it as the entity's settling receiver. */
  #discard(entity: Entity, queue: string, receiver: ServiceBusReceiver): void {
    if (!entity.receivers.delete(receiver)) return
    if (entity.receiver === receiver) {
      // Settling and renewing go by lock token: any open receiver of the entity serves.
      let next = entity.idle.at(-1)
      if (!next) {
        next = this.#receiver(entity, queue)
        entity.idle.push(next)
      }
      entity.receiver = next
    }
    void receiver.close().catch(() => {})
  }

  #newReceiver(queue: string): ServiceBusReceiver {
    // The portable lease is explicit (renewLease): no automatic lock renewal.
    return this.client.createReceiver(this.entityName(queue), {
      receiveMode: 'peekLock',
      maxAutoLockRenewalDurationInMs: 0,
      // Bodies as the producer sent them (see servicebus-body.ts): the SDK would JSON.parse data
      // sections, turning the text "\"x\"" into x, and application property Dates into numbers.
      skipParsingBodyAsJson: true,
      skipConvertingDate: true,
    })
  }

  async #ensure(queue: string): Promise<void> {
    const admin = this.#requireAdmin('createIfMissing')
    if (!(await admin.queueExists(this.entityName(queue)))) await this.createQueue(queue)
  }

  /** A queue that vanished: drop its links, so the next call attaches (or creates) afresh. */
  #forget(queue: string, error: unknown): void {
    if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') return
    const entity = this.#entities.get(queue)
    this.#entities.delete(queue)
    this.#created.delete(queue)
    if (entity) void closeEntity(entity)
  }

  #requireTopicAdmin(operation: string): ServiceBusTopicAdmin {
    const admin = this.#requireAdmin(operation) as Partial<ServiceBusTopicAdmin>
    if (typeof admin.createTopic === 'function' && typeof admin.createSubscription === 'function') {
      return admin as ServiceBusTopicAdmin
    }
    throw new QueueError(
      'NOT_SUPPORTED',
      `${operation} needs an admin that manages topics and subscriptions`,
      {
        field: 'admin',
        driver: DRIVER_NAME,
      },
    )
  }

  #requireAdmin(operation: string): ServiceBusQueueAdmin {
    if (this.#admin) return this.#admin
    throw new QueueError(
      'NOT_SUPPORTED',
      `${operation} needs the admin option when the driver is given only a client`,
      {
        field: 'admin',
        driver: DRIVER_NAME,
      },
    )
  }
}

async function closeEntity(entity: Entity): Promise<void> {
  const receivers = [...entity.receivers]
  entity.receivers.clear()
  entity.idle.length = 0
  await Promise.allSettled([entity.sender.close(), ...receivers.map((r) => r.close())])
}

function toServiceBus(m: OutgoingMessage, stamp: string | undefined): ServiceBusMessage {
  const properties = stamp === undefined ? m.attributes : { ...m.attributes, [SUBSCRIPTION_PROPERTY]: stamp }
  return {
    // Raw UTF-8 bytes in a data section: what any Service Bus client in any language reads as-is.
    body: Buffer.from(m.body, 'utf8'),
    messageId: randomUUID(),
    contentType: m.contentType,
    applicationProperties: Object.keys(properties).length > 0 ? { ...properties } : undefined,
    scheduledEnqueueTimeUtc: m.delaySeconds > 0 ? new Date(Date.now() + m.delaySeconds * 1000) : undefined,
  }
}

function fromServiceBus(m: ServiceBusReceivedMessage): IncomingMessage {
  const properties = m.applicationProperties ?? {}
  const before = properties[ATTEMPTS_PROPERTY]
  const enqueued = properties[ENQUEUED_PROPERTY]
  // The two are written together, as whole numbers, by a delayed nack; anything else another
  // producer put under these names is its own attribute, delivered rather than swallowed.
  const ours = isCount(before) && isCount(enqueued)
  const attributes: Record<string, string> = {}
  for (const [name, value] of Object.entries(properties)) {
    if (ours && (name === ATTEMPTS_PROPERTY || name === ENQUEUED_PROPERTY)) continue
    if (name === SUBSCRIPTION_PROPERTY) continue // a topic's copy addressed to one subscription
    attributes[name] = propertyString(value)
  }
  const mapped = mapBody(m.body, m._rawAmqpMessage?.bodyType)
  return {
    id: String(m.messageId ?? m.sequenceNumber),
    body: mapped.body,
    ...(mapped.undecodable !== undefined && { undecodable: mapped.undecodable }),
    contentType: mapped.contentType ?? m.contentType,
    receiptHandle: m.lockToken!,
    attempt: (ours ? before : 0) + m.deliveryCount! + 1,
    enqueuedAt: ours ? new Date(enqueued) : (m.enqueuedTimeUtc ?? new Date()),
    attributes,
  }
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

/**
 * A message this process does not hold, for settling by lock token: without a link, the SDK
 * settles it through the entity's `$management` node, as it does a deferred message.
 */
function stub(lockToken: string): ServiceBusReceivedMessage {
  return { lockToken, delivery: {}, body: undefined } as unknown as ServiceBusReceivedMessage
}

/** A driver over Azure Service Bus (or an emulator: Microsoft's, or `@anyqueue/servicebus-emulator`). */
export function createServiceBusDriver(options: ServiceBusDriverOptions = {}): ServiceBusDriver {
  return new ServiceBusDriver(options)
}

/** `name` unchanged without capitals, else lower case, `.`, and a hex mask of the capitals' positions. */
export function caseSafeName(name: string): string {
  if (!/[A-Z]/.test(name)) return name
  let mask = 0n
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i)
    if (c >= 65 && c <= 90) mask |= 1n << BigInt(i)
  }
  return `${name.toLowerCase()}.${mask.toString(16)}`
}
