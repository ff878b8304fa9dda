import { isQueueError } from '@anyqueue/queue-core'

/** Exit codes, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The operation failed at the backend (unavailable, permission denied, …). */
  failed: 1,
  /** The command line was wrong: unknown command or option, bad URL, invalid argument or name. */
  usage: 2,
  /** The queue does not exist, or the `local:` store (its folder) does not. */
  notFound: 3,
  /** Refused: purge and delete need `--yes`. */
  refused: 4,
} as const

/** What the command line was about, for hints that depend on it. */
export interface FailureContext {
  /** The URL's scheme, without the colon: `local`, `memory`, `sqs`, … */
  scheme?: string
}

/** The exit code and one-line message for an error that ended a command. */
export function describeFailure(
  error: unknown,
  context: FailureContext = {},
): { code: number; message: string } {
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
    const hint = error.code === 'QUEUE_NOT_FOUND' ? notFoundHint(context.scheme) : ''
    // The library's next step names API calls; here the command is the next step.
    const text = error.message.replace(/^\[anyqueue\] /, '').replace(/: create it with createQueue\(.*$/, '')
    return { code, message: `${text} (${error.code}${hint})` }
  }
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message }
  if (error instanceof NotFoundError) return { code: EXIT.notFound, message: error.message }
  if (error instanceof RefusedError) return { code: EXIT.refused, message: error.message }
  // Never a stack trace: one line a user can act on, the error's own first line.
  return { code: EXIT.failed, message: firstLine(error) }
}

function firstLine(error: unknown): string {
  try {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    return text.split('\n')[0] ?? text
  } catch {
    return 'an error that cannot be shown'
  }
}

function notFoundHint(scheme: string | undefined): string {
  // Each run opens its own memory store, so a queue created by one run is gone for the next.
  if (scheme === 'memory') {
    return '; a memory: store lives only in the one process that opened it, so every anyqueue run starts empty: use a local: URL to keep queues between runs'
  }
  return '; create it with: anyqueue <url> create <queue>'
}

/** Something the command needs is not there (a `local:` store's folder); exit code 3. */
export class NotFoundError extends Error {
  override name = 'NotFoundError'
}

/** A command line that cannot work; the message says how to fix it. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** A destructive command run without `--yes`. */
export class RefusedError extends Error {
  override name = 'RefusedError'
}
