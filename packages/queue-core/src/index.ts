export type { Capabilities, QueueDriver } from './driver.js'
export {
  ERROR_CODES,
  isQueueError,
  QueueError,
  type QueueErrorCode,
  type QueueErrorOptions,
} from './errors.js'
export { ATTRIBUTE_NAME_PATTERN, LIMITS, QUEUE_NAME_PATTERN } from './limits.js'
export {
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_TEXT,
  decodePayload,
  encodePayload,
  type Payload,
} from './payload.js'
export {
  assertQueueName,
  type BatchEntry,
  type BatchResult,
  type HandleLike,
  type Message,
  type NackOptions,
  Queue,
  QueueClient,
  type QueueClientOptions,
  type ReceiveOptions,
  type SendOptions,
} from './queue.js'
export type { RetryOptions } from './retry.js'
