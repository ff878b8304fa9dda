import {
  classifyByTable,
  type ErrorRow,
  type ErrorTable,
  errorFromRow,
  isConnectionError,
  QueueError,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

const RETRY: ErrorRow = ['UNAVAILABLE', true]
const DENIED: ErrorRow = ['PERMISSION_DENIED', false]

/** Redis error prefixes (the first word of an error reply) this driver knows. */
const ERRORS: ErrorTable = {
  LOADING: RETRY,
  MASTERDOWN: RETRY,
  TRYAGAIN: RETRY,
  CLUSTERDOWN: RETRY,
  BUSY: RETRY,
  READONLY: RETRY, // a failover demoted the node we wrote to; the client follows the new master
  NOREPLICAS: RETRY,
  NOAUTH: DENIED,
  WRONGPASS: DENIED,
  NOPERM: DENIED,
}

/** ioredis' own errors when a connection is gone (not a reply of the server). */
const CONNECTION_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Reached the max retries per request limit',
  'Failed to refresh slots cache',
  'None of startup nodes is available',
]

/**
 * Maps a Redis (or socket) error to a portable one; undefined for anything that is a bug.
 * `keys` names the keys the failed call touched, for `WRONGTYPE` (a key of ours overwritten).
 */
export function classifyRedisError(error: unknown, keys?: readonly string[]): QueueError | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as { name?: string; message?: string; code?: string }
  const message = e.message ?? ''
  const describe = { message: `redis: ${message}`, driver: DRIVER_NAME }
  // A script's error reply reads `ERR … script: …` on older servers; the code may follow the prefix.
  const code = /^([A-Z]+)\b/.exec(message)?.[1]
  const inner =
    /\b(WRONGTYPE|OOM|NOAUTH|WRONGPASS|NOPERM|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/.exec(
      message,
    )?.[1]
  const key = code === 'ERR' && inner ? inner : code
  if (key === 'OOM') {
    return new QueueError(
      'UNAVAILABLE',
      `redis refused the write: used memory is over maxmemory (${message}); raise maxmemory, or consume the backlog`,
      { cause: error, retryable: false, limit: 'maxmemory', driver: DRIVER_NAME },
    )
  }
  if (key === 'WRONGTYPE') {
    const named = keys && keys.length > 0 ? `one of ${keys.join(', ')}` : 'a key of the queue'
    return new QueueError(
      'UNAVAILABLE',
      `redis: ${named} holds a value of another type — something other than anyqueue wrote to it; delete the queue (or the key) to start afresh`,
      { cause: error, retryable: false, field: keys?.[0], driver: DRIVER_NAME },
    )
  }
  const known = classifyByTable(ERRORS, key, error, describe)
  if (known) return known
  if (
    isConnectionError(error) ||
    e.name === 'MaxRetriesPerRequestError' ||
    CONNECTION_MESSAGES.some((text) => message.startsWith(text))
  ) {
    return errorFromRow(RETRY, error, describe)
  }
  return undefined
}
