export const DRIVER_NAME = 'postgres'
/** The schema the driver's tables live in unless `schema` says otherwise. */
export const DEFAULT_SCHEMA = 'anyqueue'
/** The newest migration this version of the driver knows (see `postgres-schema.ts`). */
export const SCHEMA_VERSION = 1
