import type { Clock } from './clock.js'

export interface MemoryDriverOptions {
  /**
   * How long a received message stays invisible to other receivers, in seconds. Default 30, the
   * portable lease; shorter values (down to 1) keep tests with the real clock fast.
   */
  leaseSeconds?: number
  /**
   * Where time comes from: delays, leases, nack delays, long polls and `enqueuedAt`. Default the
   * real time (`systemClock`). Pass a `ManualClock` to run retries and backoff without waiting.
   */
  clock?: Clock
  /** Create a queue on first use instead of failing with `QUEUE_NOT_FOUND`. Default false. */
  createIfMissing?: boolean
  /**
   * What a body without a content type arrives as: `'text'` (default), the exact text;
   * `'json-or-text'`, the JSON value when it parses as JSON, else the text — to test code that will
   * meet another producer's unmarked JSON on Pub/Sub or Service Bus.
   */
  untypedBody?: 'text' | 'json-or-text'
}
