import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { QueueError } from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/** Longest `location` accepted, in characters: Linux's PATH_MAX. */
export const MAX_LOCATION_LENGTH = 4096

/** Checks `location` before anything touches the disk: a folder path, without NUL, of sane length. */
export function checkLocation(location: unknown): string {
  const invalid = (problem: string, limit?: number) =>
    new QueueError('INVALID_ARGUMENT', `location ${problem}`, {
      field: 'location',
      limit,
      driver: DRIVER_NAME,
    })
  if (typeof location !== 'string' || location === '') throw invalid('must be a folder path')
  if (location.includes('\0')) throw invalid('must not contain a NUL character')
  if (location.length > MAX_LOCATION_LENGTH) {
    throw invalid(
      `is ${location.length} characters; the limit is ${MAX_LOCATION_LENGTH}`,
      MAX_LOCATION_LENGTH,
    )
  }
  return location
}

/**
 * Creates the store's folder, if missing, before LevelDB opens it, so a failure names its real reason
 * (LevelDB reports a file in the way as `EEXIST`, and a read-only mount as a missing file).
 */
export async function prepareLocation(location: string): Promise<void> {
  try {
    await mkdir(location, { recursive: true })
  } catch (error) {
    throw locationError(await realReason(error, location), location)
  }
}

/**
 * Node's recursive mkdir reports a read-only mount as ENOENT: the first folder that could not be made
 * is tried alone, which reports what stopped it.
 */
async function realReason(error: unknown, location: string): Promise<unknown> {
  if ((error as { code?: unknown })?.code !== 'ENOENT') return error
  const missing: string[] = []
  for (let dir = resolve(location); !existsSync(dir) && dirname(dir) !== dir; dir = dirname(dir))
    missing.push(dir)
  const first = missing.at(-1)
  if (first === undefined) return error
  return mkdir(first).then(
    () => error,
    (reason: unknown) => reason,
  )
}

function locationError(error: unknown, location: string): QueueError {
  const errno = (error as { code?: unknown })?.code
  const options = { cause: error, driver: DRIVER_NAME }
  const at = `cannot create the store at ${location}`
  switch (errno) {
    case 'EEXIST':
    case 'ENOTDIR':
      return new QueueError('INVALID_ARGUMENT', `${at}: it, or a folder on its path, is a file (${errno})`, {
        ...options,
        field: 'location',
      })
    case 'ENAMETOOLONG':
      return new QueueError('INVALID_ARGUMENT', `${at}: a name on its path is too long (${errno})`, {
        ...options,
        field: 'location',
      })
    case 'EROFS':
      return new QueueError('PERMISSION_DENIED', `${at}: the file system is read-only (EROFS)`, options)
    case 'EACCES':
    case 'EPERM':
      return new QueueError('PERMISSION_DENIED', `${at}: permission denied (${errno})`, options)
    case 'ENOSPC':
    case 'EDQUOT':
      return new QueueError('UNAVAILABLE', `${at}: the disk is full (${errno}); retry once space is freed`, {
        ...options,
        retryable: true,
      })
    default:
      return new QueueError('UNAVAILABLE', `${at}: ${(error as Error)?.message ?? String(error)}`, options)
  }
}
