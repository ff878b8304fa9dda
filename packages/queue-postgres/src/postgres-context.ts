import type { Statements } from './postgres-sql.js'

/** The driver's own things its topics (and a transaction's view) share. */
export interface PostgresContext {
  readonly schema: string
  readonly sql: Statements
  readonly channel: string
  /** Resolves once the schema is migrated (or checked); runs once, tried again after a failure. */
  ready(): Promise<void>
}
