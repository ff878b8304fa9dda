import { classifyByTable, type ErrorTable, QueueError } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/** LevelDB reports system errors as text (`IO error: <file>: <strerror>`): their errno names. */
const STRERROR: ReadonlyArray<readonly [RegExp, string]> = [
  [/No space left on device/i, 'ENOSPC'],
  [/Read-only file system/i, 'EROFS'],
  [/Permission denied/i, 'EACCES'],
  [/Operation not permitted/i, 'EPERM'],
  [/Not a directory/i, 'ENOTDIR'],
  [/No such file or directory/i, 'ENOENT'],
  [/Too many open files/i, 'EMFILE'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Input\/output error/i, 'EIO'],
]

const REASON: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOENT: 'a part of the path does not exist',
  EMFILE: 'too many open files',
  EIO: 'an input/output error',
}

/**
 * The errnos a failed open or write maps by: retryable ones are those after which the store is worth
 * reopening once space or files are freed; any other is `UNAVAILABLE`, not retryable.
 */
const ERRNOS: ErrorTable = {
  ENOSPC: ['UNAVAILABLE', true],
  EDQUOT: ['UNAVAILABLE', true],
  EMFILE: ['UNAVAILABLE', true],
  EACCES: ['PERMISSION_DENIED', false],
  EPERM: ['PERMISSION_DENIED', false],
  EROFS: ['PERMISSION_DENIED', false],
}

function isRecoverableErrno(errno: string | undefined): boolean {
  return errno !== undefined && Object.hasOwn(ERRNOS, errno) && ERRNOS[errno]![1]
}

/** The system errno behind a level error, looking through `cause`. */
function errnoOf(error: unknown): string | undefined {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown }
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code
    if (typeof message === 'string') {
      for (const [pattern, errno] of STRERROR) if (pattern.test(message)) return errno
    }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** A write failed in a way that leaves LevelDB unusable until reopened (its errors are sticky). */
export function isRecoverableFault(error: unknown): boolean {
  return isRecoverableErrno(errnoOf(error))
}

export interface ClassifyContext {
  location: string
  /** The store is being reopened after a fault: calls caught in between may simply retry. */
  recovering: boolean
}

/**
 * Level's errors carry a `code`; a failed open wraps the real reason in `cause` (a Node errno from
 * creating the folder, or LevelDB's text). The message names the location and the real reason.
 */
export function classifyLocalError(
  error: unknown,
  { location, recovering }: ClassifyContext,
): QueueError | undefined {
  const code = levelCode(error)
  const causeCode = levelCode((error as { cause?: unknown } | undefined)?.cause)
  const detail = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error)?.message
  const options = (retryable: boolean) => ({ cause: error, retryable, driver: DRIVER_NAME })
  if (code === 'LEVEL_LOCKED' || causeCode === 'LEVEL_LOCKED') {
    const message = /already held by process/.test(detail ?? '')
      ? `the database at ${location} is already open in this process: use one driver per location (LevelDB admits one handle at a time)`
      : `the database at ${location} is locked: another process has it open (LevelDB admits one process at a time)`
    return new QueueError('UNAVAILABLE', message, options(false))
  }
  const errno = errnoOf(error)
  if (code === 'LEVEL_DATABASE_NOT_OPEN' && recovering && errno === undefined) {
    return new QueueError(
      'UNAVAILABLE',
      `the database at ${location} is being reopened after a fault`,
      options(true),
    )
  }
  if (errno && code?.startsWith('LEVEL_')) {
    const opening = code === 'LEVEL_DATABASE_NOT_OPEN'
    const what = `${opening ? 'cannot open' : 'cannot write to'} the database at ${location}: ${REASON[errno] ?? errno} (${errno})`
    const message = isRecoverableErrno(errno) ? `${what}; retry once space is freed` : what
    return (
      classifyByTable(ERRNOS, errno, error, { message, driver: DRIVER_NAME }) ??
      new QueueError('UNAVAILABLE', what, options(false))
    )
  }
  if (code === 'LEVEL_DATABASE_NOT_OPEN' || code === 'LEVEL_IO_ERROR' || code === 'LEVEL_CORRUPTION') {
    return new QueueError('UNAVAILABLE', `the database at ${location} failed: ${detail}`, options(false))
  }
  return undefined
}

function levelCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : undefined
}
