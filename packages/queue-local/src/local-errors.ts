import { QueueError } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/** Level's errors carry a `code`; a failed open wraps the real reason in `cause`. */
export function classifyLocalError(error: unknown, location: string): QueueError | undefined {
  const code = levelCode(error)
  const causeCode = levelCode((error as { cause?: unknown } | undefined)?.cause)
  if (code === 'LEVEL_LOCKED' || causeCode === 'LEVEL_LOCKED') {
    return new QueueError(
      'UNAVAILABLE',
      `the database at ${location} is locked: another process has it open (LevelDB admits one process at a time)`,
      { cause: error, retryable: false, driver: DRIVER_NAME },
    )
  }
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_IO_ERROR' || code === 'LEVEL_CORRUPTION') {
    return new QueueError('UNAVAILABLE', `the database at ${location} failed: ${(error as Error).message}`, {
      cause: error,
      retryable: false,
      driver: DRIVER_NAME,
    })
  }
  return undefined
}

function levelCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined
}
