import { isQueueError } from '@anyqueue/queue-core'

/** Exit codes, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The operation failed at the backend (unavailable, permission denied, …). */
  failed: 1,
  /** The command line was wrong: unknown command or option, bad URL, invalid argument or name. */
  usage: 2,
  /** The queue does not exist. */
  notFound: 3,
  /** Refused: purge and delete need `--yes`. */
  refused: 4,
} as const

/** The exit code and one-line message for an error that ended a command. */
export function describeFailure(error: unknown): { code: number; message: string } {
  if (isQueueError(error)) {
    const code =
      error.code === 'QUEUE_NOT_FOUND'
        ? EXIT.notFound
        : [
              'INVALID_ARGUMENT',
              'INVALID_QUEUE_NAME',
              'INVALID_PAYLOAD',
              'MESSAGE_TOO_LARGE',
              'NOT_SUPPORTED',
            ].includes(error.code)
          ? EXIT.usage
          : EXIT.failed
    const hint = error.code === 'QUEUE_NOT_FOUND' ? '; create it with: anyqueue <url> create <queue>' : ''
    // The library's next step names API calls; here the command is the next step.
    const text = error.message.replace(/^\[anyqueue\] /, '').replace(/: create it with createQueue\(.*$/, '')
    return { code, message: `${text} (${error.code}${hint})` }
  }
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message }
  if (error instanceof RefusedError) return { code: EXIT.refused, message: error.message }
  return {
    code: EXIT.failed,
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  }
}

/** A command line that cannot work; the message says how to fix it. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** A destructive command run without `--yes`. */
export class RefusedError extends Error {
  override name = 'RefusedError'
}
