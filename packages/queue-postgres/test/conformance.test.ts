import { fileURLToPath } from 'node:url'
import type { ForeignMessage } from '@anyqueue/conformance'
import { type PostgresConnection, postgresBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import pg from 'pg'
import { afterAll } from 'vitest'
import { createPostgresDriver } from '../src/index.js'

const SCHEMA = 'anyqueue_conformance'
const pools: pg.Pool[] = []

/**
 * Another producer: a plain INSERT into the driver's table, as an application's own SQL would
 * write it, with a content type only when given and the body as the bytes given.
 */
function rawInsert(connection: PostgresConnection) {
  const pool = new pg.Pool({ connectionString: connection.connectionString, max: 2 })
  // An idle client of a pool reports the server's shutdown at the end of the file as an 'error'
  // event, which would otherwise be an uncaught exception: the test's own pool ignores it.
  pool.on('error', () => {})
  pools.push(pool)
  return async (queue: string, message: ForeignMessage): Promise<void> => {
    await pool.query(
      `INSERT INTO ${SCHEMA}.messages (queue, id, body, content_type, attributes, visible_at)
       VALUES ($1, gen_random_uuid(), $2, $3, $4, now())`,
      [
        queue,
        typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : Buffer.from(message.body),
        message.contentType ?? null,
        JSON.stringify(message.attributes ?? {}),
      ],
    )
  }
}

// The backend is resolved in order: DATABASE_URL / PGHOST → PostgreSQL in Docker (testcontainers)
// → Debian's PostgreSQL binaries as a child process. A 2 s lease keeps the lease cases short.
backendConformanceSuite(
  postgresBackend,
  (backend) => ({
    name: 'postgres',
    open: () =>
      createPostgresDriver({
        connectionString: backend.connection.connectionString,
        schema: SCHEMA,
        leaseSeconds: 2,
      }),
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: {
        ANYQUEUE_TARGET_CONFIG: JSON.stringify({
          connectionString: backend.connection.connectionString,
          schema: SCHEMA,
        }),
        ANYQUEUE_LEASE: '2',
      },
    },
    sendForeign: rawInsert(backend.connection),
    foreignBytes: true,
  }),
  { leaseSeconds: 2 },
)

// Registered after the suite, so it runs before the backend stops (after-hooks run in reverse).
afterAll(async () => {
  for (const pool of pools) await pool.end()
})
