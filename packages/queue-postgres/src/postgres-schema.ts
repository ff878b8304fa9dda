import { QueueError } from '@anyqueue/queue-core/driver'
import type { Pool, PoolClient } from 'pg'
import { DRIVER_NAME, SCHEMA_VERSION } from './constants.js'

/** Anything that runs a statement: a `pg.Pool`, a `pg.PoolClient`, a `pg.Client`. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Validates a schema name; the driver only ever quotes names that pass. */
export function checkSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `schema must be 1 to 63 characters of a-z, 0-9 and _, not starting with a digit, got ${JSON.stringify(schema)}`,
      { field: 'schema', limit: 63, driver: DRIVER_NAME },
    )
  }
  return schema
}

/**
 * The migrations, in order; each runs once, in one transaction, and is recorded in
 * `<schema>.anyqueue_migrations`. Never edit one that shipped: add the next.
 */
function migrations(s: string): string[] {
  return [
    `
    CREATE TABLE ${s}.topics (name text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());
    CREATE TABLE ${s}.queues (
      name text PRIMARY KEY,
      topic text REFERENCES ${s}.topics(name) ON DELETE CASCADE,
      filter jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX queues_topic ON ${s}.queues (topic) WHERE topic IS NOT NULL;
    CREATE TABLE ${s}.messages (
      seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      queue text NOT NULL REFERENCES ${s}.queues(name) ON DELETE CASCADE,
      id uuid NOT NULL,
      body bytea NOT NULL,
      content_type text,
      attributes jsonb NOT NULL DEFAULT '{}',
      enqueued_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      visible_at timestamptz NOT NULL,
      deliveries integer NOT NULL DEFAULT 0,
      leased boolean NOT NULL DEFAULT false
    ) WITH (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01,
            autovacuum_vacuum_cost_delay = 0);
    CREATE INDEX messages_due ON ${s}.messages (queue, visible_at, seq);
    -- The portable filter (see shared/DESIGN.md section 5) over the stored attributes.
    CREATE FUNCTION ${s}.filter_matches(f jsonb, a jsonb) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
      SELECT coalesce(bool_and(CASE
        WHEN c.cond ? 'equals' THEN a ? c.key AND (c.cond -> 'equals') ? (a ->> c.key)
        WHEN c.cond ? 'notEquals' THEN NOT (a ? c.key) OR NOT ((c.cond -> 'notEquals') ? (a ->> c.key))
        WHEN c.cond ? 'exists' THEN (a ? c.key) = (c.cond ->> 'exists')::boolean
        WHEN c.cond ? 'prefix' THEN a ? c.key AND starts_with(a ->> c.key, c.cond ->> 'prefix')
        ELSE false END), true)
      FROM jsonb_each(coalesce(f, '{}'::jsonb)) AS c(key, cond)
    $fn$;
    `,
  ]
}

/**
 * Brings `schema` to the driver's version: creates it when missing, then applies each migration not
 * recorded yet, under a transaction-scoped advisory lock so concurrent openers take turns. Needs no
 * superuser: only CREATE on the database (for a new schema) or ownership of an existing one.
 */
export async function migratePostgres(db: Pool | PoolClient, schema: string): Promise<void> {
  const s = quote(checkSchemaName(schema))
  const client = 'release' in db ? db : await db.connect()
  try {
    const exists = await client.query('SELECT to_regnamespace($1) IS NOT NULL AS found', [schema])
    if (!exists.rows[0].found) await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`)
    await client.query('BEGIN')
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtext('anyqueue-migrate:' || $1))", [schema])
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.anyqueue_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      )
      const done = await client.query(`SELECT coalesce(max(version), 0) AS v FROM ${s}.anyqueue_migrations`)
      const all = migrations(s)
      for (let version = Number(done.rows[0].v) + 1; version <= all.length; version++) {
        await client.query(all[version - 1]!)
        await client.query(`INSERT INTO ${s}.anyqueue_migrations (version) VALUES ($1)`, [version])
      }
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    }
  } finally {
    if (client !== db) client.release()
  }
}

/** Throws, naming the fix, when `schema` is not at the driver's version (for `migrate: false`). */
export async function checkMigrated(db: Queryable, schema: string): Promise<void> {
  const found = await db.query('SELECT to_regclass($1) IS NOT NULL AS found', [
    `${quote(schema)}.anyqueue_migrations`,
  ])
  const version = found.rows[0].found
    ? Number(
        (await db.query(`SELECT coalesce(max(version), 0) AS v FROM ${quote(schema)}.anyqueue_migrations`))
          .rows[0].v,
      )
    : 0
  if (version < SCHEMA_VERSION) {
    throw new QueueError(
      'UNAVAILABLE',
      `schema "${schema}" is at migration ${version}, the driver needs ${SCHEMA_VERSION}: open the driver with ` +
        `migrate: true, or run migratePostgres(pool, "${schema}") as a role that may create it`,
      { driver: DRIVER_NAME, retryable: false },
    )
  }
}

/** A schema name as an SQL identifier (names are checked first, so this only adds the quotes). */
export function quote(name: string): string {
  return `"${name}"`
}
