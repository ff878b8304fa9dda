/**
 * `@anyqueue/queue-core/driver`: what a driver author needs — the contract (`contract.ts`, types
 * only) and the shared driver helpers — and nothing of the portable layer (`Queue`, `QueueClient`,
 * `openQueueClient`, `consume`), which importing this entry never loads (`import-graph.test.ts`).
 */
export type {
  AttributeCondition,
  Capabilities,
  Clock,
  DeliveryStream,
  Exactness,
  FilterOperator,
  IncomingMessage,
  OutgoingMessage,
  PeekedIncomingMessage,
  PeekedState,
  PeekRequest,
  QueueDriver,
  QueueStats,
  ReceiveRequest,
  SendResult,
  StatsCapabilities,
  StatsField,
  StreamingReceiver,
  StreamRequest,
  SubscriptionFilter,
  TopicCapabilities,
  TopicDriver,
} from './contract.js'
export {
  ALL_FILTER_TOPICS,
  classifyByTable,
  type ErrorRow,
  type ErrorTable,
  EXACT_STATS,
  errorFromRow,
  isConnectionError,
  PromiseCache,
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolvePrefix,
  resolveUntypedBody,
} from './driver-kit.js'
// Every export of errors.ts is public, here and at `.` alike.
export * from './errors.js'
export { FILTER_OPERATORS, matchesFilter, operatorOf } from './filter.js'
export { ATTRIBUTE_NAME_PATTERN, LIMITS, QUEUE_NAME_PATTERN } from './limits.js'
export { nameMissingQueue, queueNotFound } from './not-found.js'
export { CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT } from './payload.js'
export { backoffDelay, sleep } from './retry.js'
export { registerScheme, type SchemeOpener } from './schemes.js'
export { parseSubscriptionAddress, subscriptionAddress } from './subscription-address.js'
export { type CommonUrlOptions, definedOptions, UrlParams } from './url-options.js'
