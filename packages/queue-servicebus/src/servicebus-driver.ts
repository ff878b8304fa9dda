import {
  ALL_FILTER_TOPICS,
  type Capabilities,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  type PeekedIncomingMessage,
  type PeekRequest,
  PromiseCache,
  parseSubscriptionAddress,
  type QueueDriver,
  QueueError,
  type QueueStats,
  type ReceiveRequest,
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolvePrefix,
  resolveUntypedBody,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import { ServiceBusAdministrationClient, ServiceBusClient, type ServiceBusReceiver } from '@azure/service-bus'
import { DRIVER_NAME, MAX_DELIVERY_COUNT } from './constants.js'
import { connectionProbe } from './servicebus-connection.js'
import { EntityLinks } from './servicebus-entity.js'
import { classifyServiceBusError, keepExisting } from './servicebus-errors.js'
import {
  peekServiceBus,
  readServiceBusStats,
  SERVICEBUS_STATS,
  type ServiceBusRuntimeAdmin,
} from './servicebus-inspect.js'
import { listServiceBusQueues } from './servicebus-list.js'
import { delayedCopy, fromServiceBus } from './servicebus-message.js'
import { entityName, topicEntity } from './servicebus-names.js'
import type { ServiceBusDriverOptions, ServiceBusQueueAdmin } from './servicebus-options.js'
import { sendMessages } from './servicebus-send.js'
import { ServiceBusTopics } from './servicebus-topics.js'

/** Service Bus lock tokens are GUIDs. */
const LOCK_TOKEN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const PREFIX = /^[A-Za-z0-9_.-]{0,16}$/
/** Every option `ServiceBusDriverOptions` has: anything else is a typo, refused by name. */
const OPTION_KEYS = [
  'connectionString',
  'client',
  'clientOptions',
  'admin',
  'adminConnectionString',
  'leaseSeconds',
  'createIfMissing',
  'prefix',
  'queueOptions',
  'untypedBody',
] as const satisfies readonly (keyof ServiceBusDriverOptions)[]

/** Service Bus's own bounds on a lock duration. */
const LOCK_SECONDS = { min: 5, max: 300 } as const

export class ServiceBusDriver implements QueueDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  /** The SDK client: an escape hatch for anything anyqueue does not cover. */
  readonly client: ServiceBusClient
  readonly #ownsClient: boolean
  readonly #admin: ServiceBusQueueAdmin | undefined
  /** The connection string is an emulator's (UseDevelopmentEmulator) and no admin endpoint was given. */
  readonly #adminUnreachable: boolean
  readonly #options: ServiceBusDriverOptions
  readonly #prefix: string
  readonly #entities = new Map<string, EntityLinks>()
  readonly #created = new PromiseCache<string, void>()
  readonly topics: ServiceBusTopics
  readonly #connectionOpen: () => boolean | undefined

  constructor(options: ServiceBusDriverOptions = {}) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
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
      topics: ALL_FILTER_TOPICS,
      untypedBody: resolveUntypedBody(options.untypedBody, 'json-or-text', DRIVER_NAME),
      stats: SERVICEBUS_STATS,
      peek: true,
    })
    this.leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: LOCK_SECONDS.min,
      max: LOCK_SECONDS.max,
      driver: DRIVER_NAME,
    })
    const prefix = resolvePrefix(options.prefix, {
      pattern: PREFIX,
      described: 'at most 16 characters of A-Z, a-z, 0-9, "_", "." or "-"',
      limit: 16,
      fallback: '',
      driver: DRIVER_NAME,
    })
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
    this.#connectionOpen = connectionProbe(this.client)
    // An emulator's AMQP connection string (UseDevelopmentEmulator=true) does not reach its
    // management API: the admin client would dial HTTPS on the AMQP port and hang for minutes.
    this.#adminUnreachable =
      !options.admin && !options.adminConnectionString && isEmulatorConnectionString(options.connectionString)
    const adminConnectionString =
      options.adminConnectionString ?? (this.#adminUnreachable ? undefined : options.connectionString)
    this.#admin =
      options.admin ??
      (adminConnectionString ? new ServiceBusAdministrationClient(adminConnectionString) : undefined)
    this.topics = new ServiceBusTopics({
      client: this.client,
      prefix,
      leaseSeconds: this.leaseSeconds,
      admin: (operation) => this.#requireAdmin(operation),
      dropLinks: (matches) => this.#dropLinks(matches),
    })
  }

  /** The entity name for a portable name: see `servicebus-names.ts`. */
  backendName(queue: string): string {
    return entityName(this.#prefix, queue)
  }

  /** The queues under the prefix, by portable name (`caseSafeName` reversed): see `servicebus-list.ts`. */
  listQueues(): Promise<string[]> {
    return listServiceBusQueues(this.#requireAdmin('listQueues'), this.#prefix)
  }

  async createQueue(queue: string): Promise<void> {
    const admin = this.#requireAdmin('createQueue')
    await admin
      .createQueue(this.backendName(queue), {
        lockDuration: `PT${this.leaseSeconds}S`,
        maxDeliveryCount: MAX_DELIVERY_COUNT,
        ...this.#options.queueOptions,
      })
      .catch(keepExisting)
  }

  async deleteQueue(queue: string): Promise<void> {
    const admin = this.#requireAdmin('deleteQueue')
    const entity = this.#entities.get(queue)
    this.#entities.delete(queue)
    this.#created.delete(queue)
    if (entity) await entity.close()
    try {
      await admin.deleteQueue(this.backendName(queue))
    } catch (error) {
      if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const { sender, stamp } = await this.#entity(queue)
    const results = await sendMessages(sender, messages, stamp)
    // A missing queue fails the whole call, as on every other driver.
    const notFound = results.find(
      (r) => 'error' in r && classifyServiceBusError(r.error)?.code === 'QUEUE_NOT_FOUND',
    )
    if (notFound && 'error' in notFound) this.#forget(queue, notFound.error)
    return results
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const entity = await this.#entity(queue)
    try {
      const received = await entity.receive(
        request.maxMessages,
        // The SDK needs a round trip to learn the queue is empty: give a short poll that long.
        Math.max(request.waitSeconds * 1000, 50),
        request.signal,
      )
      return received.map(fromServiceBus)
    } catch (error) {
      this.#forget(queue, error)
      throw error
    }
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const entity = await this.#entity(queue)
    await Promise.all(receiptHandles.map((handle) => entity.settle(handle, 'complete')))
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const entity = await this.#entity(queue)
    const message = entity.live.get(receiptHandle)
    if (delaySeconds === 0 || !message) {
      // Without the message in hand (another process received it) a delay cannot be honoured:
      // the abandon makes it visible now, which is early but loses nothing.
      return entity.settle(receiptHandle, 'abandon')
    }
    if ((message.lockedUntilUtc?.getTime() ?? 0) <= Date.now()) {
      // The lease is over: the message is on its way back already, and a copy would duplicate it.
      entity.live.delete(receiptHandle)
      return
    }
    // Service Bus cannot abandon with a delay: schedule a copy, then complete the original. A crash
    // between the two redelivers both — a duplicate, never a loss.
    try {
      await entity.sender.scheduleMessages(
        delayedCopy(message, entity.stamp),
        new Date(Date.now() + delaySeconds * 1000),
      )
    } catch (error) {
      this.#forget(queue, error)
      throw error
    }
    await entity.settle(receiptHandle, 'complete')
  }

  /** Runtime counts from the admin API: see `servicebus-inspect.ts`. */
  async stats(queue: string): Promise<QueueStats> {
    const admin = this.#requireAdmin('stats') as ServiceBusRuntimeAdmin
    return readServiceBusStats(admin, this.backendName(queue))
  }

  /** The SDK's lock-free peek: see `servicebus-inspect.ts`. */
  async peek(queue: string, request: PeekRequest): Promise<PeekedIncomingMessage[]> {
    return peekServiceBus(this.client, this.backendName(queue), request.maxMessages)
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const entity = await this.#entity(queue)
    await entity.renew(receiptHandle)
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
    await Promise.all([...entities.map((e) => e.close()), this.topics.close()])
    if (this.#ownsClient) await this.client.close()
  }

  async #entity(queue: string): Promise<EntityLinks> {
    const address = parseSubscriptionAddress(queue)
    // A subscription is made by createSubscription, never on first use.
    if (this.#options.createIfMissing && !address) await this.#created.get(queue, () => this.#ensure(queue))
    let entity = this.#entities.get(queue)
    if (!entity) {
      const sender = this.client.createSender(
        address ? topicEntity(this.#prefix, address.topic) : this.backendName(queue),
      )
      entity = new EntityLinks(
        sender,
        address?.subscription,
        () => this.#newReceiver(queue),
        this.#connectionOpen,
      )
      this.#entities.set(queue, entity)
    }
    return entity
  }

  #newReceiver(queue: string): ServiceBusReceiver {
    // The portable lease is explicit (renewLease): no automatic lock renewal.
    return this.client.createReceiver(this.backendName(queue), {
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
    if (!(await admin.queueExists(this.backendName(queue)))) await this.createQueue(queue)
  }

  /** A queue that vanished: drop its links, so the next call attaches (or creates) afresh. */
  #forget(queue: string, error: unknown): void {
    if (classifyServiceBusError(error)?.code !== 'QUEUE_NOT_FOUND') return
    const entity = this.#entities.get(queue)
    this.#entities.delete(queue)
    this.#created.delete(queue)
    if (entity) void entity.close()
  }

  /** Closes and forgets the links to every queue or subscription whose portable name `matches`. */
  async #dropLinks(matches: (queue: string) => boolean): Promise<void> {
    for (const [key, entity] of [...this.#entities]) {
      if (!matches(key)) continue
      this.#entities.delete(key)
      await entity.close()
    }
  }

  #requireAdmin(operation: string): ServiceBusQueueAdmin {
    if (this.#admin) return this.#admin
    if (this.#adminUnreachable)
      throw new QueueError(
        'NOT_SUPPORTED',
        `${operation} needs the emulator's management API, which a UseDevelopmentEmulator connection string does not reach: ` +
          'start the emulator with --tls --admin-port 0 and pass the adminConnectionString it prints ' +
          '(the servicebus:// URL it prints carries it), with NODE_EXTRA_CA_CERTS set to its certificate',
        { field: 'adminConnectionString', driver: DRIVER_NAME },
      )
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

/** A driver over Azure Service Bus (or an emulator: Microsoft's, or `@anyqueue/servicebus-emulator`). */
export function createServiceBusDriver(options: ServiceBusDriverOptions = {}): ServiceBusDriver {
  return new ServiceBusDriver(options)
}

/** Whether `connectionString` names a development emulator (`UseDevelopmentEmulator=true`). */
function isEmulatorConnectionString(connectionString: string | undefined): boolean {
  return /(^|;)\s*UseDevelopmentEmulator\s*=\s*true\s*(;|$)/i.test(connectionString ?? '')
}
