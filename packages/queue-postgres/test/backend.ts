import {
  type Backend,
  inCI,
  type PostgresConnection,
  postgresBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { afterAll, beforeAll } from 'vitest'

/**
 * A PostgreSQL backend for this file's tests, resolved like the conformance suite's (DATABASE_URL /
 * PGHOST → testcontainers → Debian's binaries), stopped after the file. `skip` holds the reason when
 * none could be resolved outside CI (in CI that is a failure).
 */
export function usePostgres(): { backend(): Backend<PostgresConnection>; skip(): string | undefined } {
  let backend: Backend<PostgresConnection> | undefined
  let reason: string | undefined
  beforeAll(async () => {
    try {
      backend = await resolveBackend(postgresBackend)
    } catch (error) {
      if (inCI()) throw error
      reason = (error as Error).message
    }
  }, 120_000)
  afterAll(async () => {
    await backend?.stop()
  }, 60_000)
  return {
    backend: () => backend!,
    skip: () => reason,
  }
}
