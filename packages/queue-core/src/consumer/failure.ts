import type { Message } from '../queue.js'
import { describeThrown } from './describe.js'
import type { Backoff } from './options.js'

/** What follows a failed (or timed-out) attempt: dead-lettered with a reason, or retried after a delay. */
export type AfterFailure = { kind: 'dead-letter'; reason: string } | { kind: 'retry'; delaySeconds: number }

/**
 * The rule `consume()` and every trigger runner share: a message whose `attempt` reached
 * `maxAttempts` is dead-lettered with the last error as its reason; any other is retried after
 * `backoff(attempt)` seconds. A backoff that throws or returns no number ≥ 0 is reported and
 * counts as 0, so a bad backoff never loses a message.
 */
export function afterFailure(
  message: Message<unknown>,
  error: unknown,
  maxAttempts: number,
  backoff: Backoff,
  reportError: (error: unknown, message: Message<any>) => void,
): AfterFailure {
  if (message.attempt >= maxAttempts) {
    return {
      kind: 'dead-letter',
      reason: `failed ${message.attempt} time${message.attempt === 1 ? '' : 's'}, last: ${describeThrown(error)}`,
    }
  }
  return { kind: 'retry', delaySeconds: backoffSeconds(message, backoff, reportError) }
}

function backoffSeconds(
  message: Message<unknown>,
  backoff: Backoff,
  reportError: (error: unknown, message: Message<any>) => void,
): number {
  try {
    const seconds = backoff(message.attempt)
    if (typeof seconds === 'number' && seconds >= 0) return seconds
    reportError(
      new TypeError(`backoff(${message.attempt}) returned ${describeThrown(seconds)}, not seconds ≥ 0`),
      message,
    )
  } catch (error) {
    reportError(error, message)
  }
  return 0
}
