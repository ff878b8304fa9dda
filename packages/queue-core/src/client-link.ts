import type { Capabilities, QueueDriver } from './contract.js'
import type { QueueError } from './errors.js'
import type { ResolvedRetry } from './retry.js'

/**
 * What a `Queue` or a `Topic` needs of the client that made it: the driver, and one way to run a
 * driver call (classified, retried, tracked for close). `QueueClient` implements it; the queue
 * and the topic depend on this interface, not on the client, so neither imports the other.
 */
export interface ClientLink {
  readonly driver: QueueDriver
  readonly capabilities: Capabilities
  readonly closed: boolean
  /** @internal the retry policy of `execute`, which `sendWithRetry` applies per message. */
  readonly retryPolicy: ResolvedRetry
  /**
   * @internal runs one driver call: classified, retried when retryable (tried once with `retry:
   * false`, for a caller with its own retry budget), counted as in flight.
   */
  execute<R>(call: () => Promise<R>, queue?: string, retry?: boolean): Promise<R>
  /** @internal turns anything a driver threw into a QueueError, or undefined for a bug. */
  classify(error: unknown, queue?: string): QueueError | undefined
  /** @internal a closed queue leaves its client's list. */
  forget(queue: object): void
}
