export { DEFAULT_SCHEMA, DRIVER_NAME, SCHEMA_VERSION } from './constants.js'
export { createPostgresDriver, PostgresDriver } from './postgres-driver.js'
export { classifyPostgresError } from './postgres-errors.js'
export type { PostgresDriverOptions } from './postgres-options.js'
export { checkMigrated, migratePostgres, type Queryable } from './postgres-schema.js'

// `openQueueClient('postgres://user@host/db?schema=jobs')` (or `postgresql://`): the URL is the
// connection string; `schema`, `listen` and the common options ride in the query and are removed
// before the URL reaches pg.
import { definedOptions, registerScheme, type SchemeOpener } from '@anyqueue/queue-core/driver'
import { createPostgresDriver as openPostgres } from './postgres-driver.js'

/** pg's own connection parameters, handed on in the connection string. */
const PG_PARAMETERS = [
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'application_name',
  'connect_timeout',
  'options',
  'host',
  'port',
  'user',
  'password',
]

const opener: SchemeOpener = (url, params) => {
  const connection = new URL(url.href)
  connection.search = ''
  for (const name of PG_PARAMETERS) {
    const value = params.string(name)
    if (value !== undefined) connection.searchParams.set(name, value)
  }
  return openPostgres(
    definedOptions({
      connectionString: connection.href,
      ...params.commonOptions(),
      schema: params.string('schema'),
      listen: params.boolean('listen'),
    }),
  )
}
registerScheme('postgres', opener)
registerScheme('postgresql', opener)
