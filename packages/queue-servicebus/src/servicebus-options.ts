import type { ServiceBusClient, ServiceBusClientOptions } from '@azure/service-bus'

/**
 * Queue management, shaped like `ServiceBusAdministrationClient`'s queue methods (which is the
 * default). `@anyqueue/servicebus-emulator` provides one as `emulator.admin`.
 */
export interface ServiceBusQueueAdmin {
  createQueue(
    name: string,
    options?: { lockDuration?: string; maxDeliveryCount?: number } & Record<string, unknown>,
  ): Promise<unknown>
  deleteQueue(name: string): Promise<unknown>
  queueExists(name: string): Promise<boolean>
  /** Optional: every queue of the namespace (for `driver.listQueues()`); the SDK's admin client has it. */
  listQueues?(): AsyncIterable<{ name: string }>
}

/**
 * Topic and subscription management, shaped like `ServiceBusAdministrationClient`'s (which is the
 * default); `@anyqueue/servicebus-emulator`'s `emulator.admin` has it too. An admin without it
 * makes the topic calls `NOT_SUPPORTED`.
 */
export interface ServiceBusTopicAdmin extends ServiceBusQueueAdmin {
  createTopic(name: string): Promise<unknown>
  deleteTopic(name: string): Promise<unknown>
  createSubscription(
    topicName: string,
    subscriptionName: string,
    options: {
      lockDuration?: string
      maxDeliveryCount?: number
      defaultRuleOptions?: { name: string; filter: { sqlExpression: string } }
    },
  ): Promise<unknown>
  deleteSubscription(topicName: string, subscriptionName: string): Promise<unknown>
}

export interface ServiceBusDriverOptions {
  /**
   * `Endpoint=sb://…;SharedAccessKeyName=…;SharedAccessKey=…`, or an emulator's
   * (`…;UseDevelopmentEmulator=true`). Required unless `client` is given.
   */
  connectionString?: string
  /**
   * Your own client. The driver then uses it as configured — including its retry policy; give it
   * `retryOptions: { maxRetries: 0 }` so retries happen once, in the portable layer.
   */
  client?: ServiceBusClient
  /** Options for the client the driver builds from `connectionString`; merged over the driver's. */
  clientOptions?: ServiceBusClientOptions
  /**
   * Creates, deletes and checks queues. Default: a `ServiceBusAdministrationClient` on
   * `adminConnectionString`, else `connectionString`. Pass `emulator.admin` for
   * `@anyqueue/servicebus-emulator`.
   */
  admin?: ServiceBusQueueAdmin
  /** Where the administration (REST) API is, when not at `connectionString`: Microsoft's emulator serves it on port 5300. */
  adminConnectionString?: string
  /**
   * The lock duration of queues the driver creates, in seconds: 5 to 300, default 30. For a queue
   * created elsewhere, the entity's own `LockDuration` is the lease; keep them equal.
   */
  leaseSeconds?: number
  /** Create a missing queue on first use instead of failing with `QUEUE_NOT_FOUND`. Default false. */
  createIfMissing?: boolean
  /** Prepended to every portable name to make the entity name, e.g. `prod-`. At most 16 of `A-Za-z0-9_-.`. */
  prefix?: string
  /**
   * Options for queues the driver creates, passed to `createQueue` after the driver's own
   * (`lockDuration` from `leaseSeconds`, `maxDeliveryCount: 2000`).
   */
  queueOptions?: Record<string, unknown>
  /**
   * What a body without a content type — another producer's — arrives as: `'text'`, the text it
   * holds; `'json-or-text'`, the JSON value it holds when it parses as JSON, else that text.
   * Default `'json-or-text'`, the SDK's own convention: it JSON-encodes every body that is not
   * bytes (the string `hello` travels as `"hello"`) and its receivers parse it back (`skipParsingBodyAsJson`
   * is its `'text'`). anyqueue's own messages carry a content type and are never affected.
   */
  untypedBody?: 'text' | 'json-or-text'
}
