import {
  classifyByTable,
  type ErrorTable,
  errorFromRow,
  isConnectionError,
  type QueueError,
} from '@anyqueue/queue-core/driver'
import { DRIVER_NAME } from './constants.js'

/**
 * SQLSTATE → portable code. Connection loss, an administrator's shutdown (`57P01`), a server still
 * starting (`57P03`), serialization failures and deadlocks are worth another try; a full disk
 * (`53100`) is not, until someone frees space.
 */
const SQLSTATE_TABLE: ErrorTable = {
  '08000': ['UNAVAILABLE', true],
  '08001': ['UNAVAILABLE', true],
  '08003': ['UNAVAILABLE', true],
  '08004': ['UNAVAILABLE', true],
  '08006': ['UNAVAILABLE', true],
  '57P01': ['UNAVAILABLE', true],
  '57P02': ['UNAVAILABLE', true],
  '57P03': ['UNAVAILABLE', true],
  '40001': ['UNAVAILABLE', true],
  '40P01': ['UNAVAILABLE', true],
  '53300': ['UNAVAILABLE', true],
  '53200': ['UNAVAILABLE', true],
  '53100': ['UNAVAILABLE', false],
  '42501': ['PERMISSION_DENIED', false],
  '3F000': ['UNAVAILABLE', false],
  '42P01': ['UNAVAILABLE', false],
  '42883': ['UNAVAILABLE', false],
}

/** What each row means, for the message (the server's own words follow in parentheses). */
const WORDS: Readonly<Record<string, string>> = {
  '53100': 'the database server is out of disk space (53100 disk_full): free space, then try again',
  '53200': 'the database server is out of memory (53200 out_of_memory)',
  '53300':
    'the database server has too many connections (53300): lower the pool size or raise max_connections',
  '57P01': 'the database server is shutting down (57P01 admin_shutdown)',
  '57P03': 'the database server is starting up and not accepting connections yet (57P03)',
  '40001': 'a serialization failure (40001): the statement can be tried again',
  '40P01': 'a deadlock was detected (40P01): the statement can be tried again',
}

/** pg's own errors when the socket goes away: they carry no SQLSTATE. */
const CONNECTION_LOST =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed/i

/**
 * Classifies a `pg` error for the driver using `schema`: permission errors name the schema and the
 * grant; a missing schema or table names the migration.
 */
export function classifyPostgresError(error: unknown, schema: string): QueueError | undefined {
  const code = (error as { code?: unknown } | null)?.code
  const own = error instanceof Error ? error.message : String(error)
  if (typeof code === 'string') {
    const message = describe(code, own, schema)
    const classified = classifyByTable(SQLSTATE_TABLE, code, error, { message, driver: DRIVER_NAME })
    if (classified) return classified
    if (code.startsWith('08'))
      return errorFromRow(['UNAVAILABLE', true], error, { message, driver: DRIVER_NAME })
  }
  if (isConnectionError(error) || (error instanceof Error && CONNECTION_LOST.test(error.message))) {
    return errorFromRow(['UNAVAILABLE', true], error, {
      message: `the database connection failed (${own})`,
      driver: DRIVER_NAME,
    })
  }
  return undefined
}

function describe(code: string, own: string, schema: string): string {
  if (code === '42501') {
    return (
      `permission denied on schema "${schema}" (${own}): grant the driver's role USAGE and CREATE on the ` +
      `schema (or create it and run the migrations once as its owner), and SELECT, INSERT, UPDATE, DELETE on its tables`
    )
  }
  if (code === '3F000' || code === '42P01' || code === '42883') {
    return (
      `schema "${schema}" is missing or has not been migrated (${own}): open the driver with migrate: true ` +
      `(the default), or run migratePostgres({ schema: "${schema}" }) as a role that may create it`
    )
  }
  return WORDS[code] ? `${WORDS[code]} (${own})` : `the database failed (${code}: ${own})`
}
