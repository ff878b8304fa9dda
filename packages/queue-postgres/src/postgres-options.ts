import type { Pool, PoolConfig } from 'pg'

export interface PostgresDriverOptions {
  /** `postgres://user:password@host:5432/db`; the driver builds a `pg.Pool` of its own from it. */
  connectionString?: string
  /**
   * Your own `pg.Pool` (left open on `close()`). The driver keeps one of its connections for
   * `LISTEN` while a receive waits, unless `listen: false`.
   */
  pool?: Pool
  /** Extra `pg.PoolConfig` for the pool the driver builds (size, TLS, timeouts). */
  poolConfig?: PoolConfig
  /**
   * The schema holding the driver's tables, created when missing. Default `anyqueue`. Lower-case
   * letters, digits and `_`, at most 63 characters, not starting with a digit.
   */
  schema?: string
  /**
   * Apply the driver's migrations (versioned, idempotent, under an advisory lock) on first use.
   * Default true. With false, a schema that is missing or behind is an error naming the fix.
   */
  migrate?: boolean
  /** Lease of received messages, in seconds. Default 30; 1 or more. */
  leaseSeconds?: number
  /** Create a missing queue on first use instead of failing with `QUEUE_NOT_FOUND`. Default false. */
  createIfMissing?: boolean
  /**
   * Wake long polls with `LISTEN/NOTIFY`. Default true. Set false behind PgBouncer in transaction
   * mode, where a session-level `LISTEN` is not kept: long polls then poll every `pollMilliseconds`.
   */
  listen?: boolean
  /**
   * How often a waiting receive looks again without a notification: the fallback when the
   * listening connection is down, or `listen` is false. Default 250.
   */
  pollMilliseconds?: number
  /**
   * What a body without a content type — another producer's row — arrives as: `'text'` (default)
   * or `'json-or-text'`. anyqueue's own messages carry a content type and are never affected.
   */
  untypedBody?: 'text' | 'json-or-text'
}
