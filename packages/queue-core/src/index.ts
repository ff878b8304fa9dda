export { QueueClient, type QueueClientOptions } from './client.js'
export {
  type Backoff,
  type BackoffOptions,
  type ConsumeOptions,
  type Consumer,
  type ConsumerEvent,
  consume,
  type Handler,
  type HandlerContext,
} from './consumer.js'
export type {
  Capabilities,
  Exactness,
  PeekedState,
  QueueDriver,
  StatsCapabilities,
  StatsField,
  TopicCapabilities,
} from './contract.js'
export {
  countMessages,
  DEAD_LETTER_ATTRIBUTES,
  DEAD_LETTER_BODY_ATTRIBUTES,
  REDRIVE_ATTRIBUTES,
  redrive,
  redrivenAttributes,
} from './dead-letters.js'
// Every export of errors.ts is public, here and at `/driver` alike.
export * from './errors.js'
export {
  type AttributeCondition,
  FILTER_LIMITS,
  FILTER_OPERATORS,
  type FilterOperator,
  matchesFilter,
  type SubscriptionFilter,
} from './filter.js'
export type { PeekedMessage, PeekOptions, QueueStats } from './inspect.js'
export { ATTRIBUTE_NAME_PATTERN, LIMITS, QUEUE_NAME_PATTERN } from './limits.js'
export type * from './messages.js'
export { openQueueClient } from './open-url.js'
export {
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_TEXT,
  decodePayload,
  encodePayload,
  type JsonShaped,
  type Payload,
  type PayloadShape,
} from './payload.js'
export { assertQueueName, Queue, type QueueOwner } from './queue.js'
export type { RetryOptions } from './retry.js'
export {
  KNOWN_SCHEMES,
  openDriver,
  registeredSchemes,
  registerScheme,
  type SchemeOpener,
} from './schemes.js'
export type { StandardIssue, StandardResult, StandardSchemaV1 } from './standard-schema.js'
export { type PublishEntry, type PublishOptions, type SubscriptionOptions, Topic } from './topic.js'
export {
  createTriggerPipeline,
  type TriggerDelivery,
  type TriggerOptions,
  type TriggerOutcome,
  TriggerPipeline,
} from './trigger.js'
export { UrlParams } from './url-options.js'
