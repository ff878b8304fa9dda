/**
 * Every statement the driver runs, for schema `s` (already quoted) and notification channel `ch`.
 * Times are the server's: `now()` is the statement's transaction start, so one statement decides a
 * lease, delay or staleness on one clock, whatever the clients' clocks say.
 */
export function statements(s: string) {
  const columns = 'm.seq, m.id, m.body, m.content_type, m.attributes, m.enqueued_at, m.deliveries'
  return {
    createQueue: `INSERT INTO ${s}.queues (name) VALUES ($1) ON CONFLICT DO NOTHING`,
    deleteQueue: `WITH gone AS (DELETE FROM ${s}.queues WHERE name = $1 AND topic IS NULL RETURNING name)
      SELECT pg_notify($2, name) FROM gone`,
    listQueues: `SELECT name FROM ${s}.queues WHERE topic IS NULL ORDER BY name COLLATE "C"`,
    /** $1 queue, $2..$6 the batch columns, $7 channel. One statement: all or none, then a notify. */
    send: `WITH ins AS (
        INSERT INTO ${s}.messages (queue, id, body, content_type, attributes, visible_at)
        SELECT $1, i.id, i.body, i.content_type, i.attributes, now() + make_interval(secs => i.delay)
        FROM unnest($2::uuid[], $3::bytea[], $4::text[], $5::jsonb[], $6::int[])
          AS i(id, body, content_type, attributes, delay)
        RETURNING 1)
      SELECT count(*)::int AS n, pg_notify($7, $1) FROM ins`,
    /** $1 queue, $2 max, $3 lease seconds. Rows another receive holds are skipped, never shared. */
    receive: `WITH due AS (
        SELECT seq FROM ${s}.messages WHERE queue = $1 AND visible_at <= now()
        ORDER BY visible_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED)
      UPDATE ${s}.messages m SET deliveries = m.deliveries + 1, leased = true,
        visible_at = now() + make_interval(secs => $3)
      FROM due WHERE m.seq = due.seq
      RETURNING ${columns}`,
    /** After an empty receive: does the queue exist, and in how many seconds is the next message due. */
    probe: `SELECT EXISTS (SELECT 1 FROM ${s}.queues WHERE name = $1) AS found,
        extract(epoch FROM (SELECT min(visible_at) FROM ${s}.messages WHERE queue = $1) - now())::float8 AS due_in`,
    exists: `SELECT EXISTS (SELECT 1 FROM ${s}.queues WHERE name = $1) AS found`,
    /** $1 queue, $2 seqs, $3 deliveries: only the delivery each handle names. */
    ack: `DELETE FROM ${s}.messages m USING unnest($2::bigint[], $3::int[]) AS h(seq, deliveries)
      WHERE m.queue = $1 AND m.seq = h.seq AND m.deliveries = h.deliveries`,
    /** $1 queue, $2 seq, $3 deliveries, $4 delay seconds, $5 channel. */
    nack: `WITH done AS (
        UPDATE ${s}.messages SET leased = false, visible_at = now() + make_interval(secs => $4)
        WHERE queue = $1 AND seq = $2 AND deliveries = $3 AND leased RETURNING 1)
      SELECT count(*)::int AS n, CASE WHEN $4 = 0 AND count(*) > 0 THEN pg_notify($5, $1) END FROM done`,
    /** $1 queue, $2 seq, $3 deliveries, $4 lease seconds. */
    renew: `UPDATE ${s}.messages SET visible_at = now() + make_interval(secs => $4)
      WHERE queue = $1 AND seq = $2 AND deliveries = $3 AND leased`,
    stats: `SELECT EXISTS (SELECT 1 FROM ${s}.queues WHERE name = $1) AS found,
        count(*) FILTER (WHERE visible_at <= now())::int AS visible,
        count(*) FILTER (WHERE visible_at > now() AND leased)::int AS in_flight,
        count(*) FILTER (WHERE visible_at > now() AND NOT leased)::int AS delayed,
        coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)::float8 AS oldest
      FROM ${s}.messages WHERE queue = $1`,
    peek: `SELECT ${columns}, CASE WHEN m.visible_at <= now() THEN 'visible'
          WHEN m.leased THEN 'inFlight' ELSE 'delayed' END AS state
      FROM ${s}.messages m WHERE m.queue = $1 ORDER BY m.seq LIMIT $2`,
    createTopic: `INSERT INTO ${s}.topics (name) VALUES ($1) ON CONFLICT DO NOTHING`,
    deleteTopic: `WITH gone AS (DELETE FROM ${s}.topics WHERE name = $1 RETURNING name)
      SELECT pg_notify($2, q.name) FROM ${s}.queues q, gone WHERE q.topic = gone.name`,
    /** $1 topic, $2 address, $3 filter. A missing topic inserts nothing. */
    createSubscription: `WITH t AS (SELECT name FROM ${s}.topics WHERE name = $1),
      ins AS (INSERT INTO ${s}.queues (name, topic, filter) SELECT $2, name, $3::jsonb FROM t
        ON CONFLICT DO NOTHING RETURNING 1)
      SELECT EXISTS (SELECT 1 FROM t) AS found, (SELECT count(*) FROM ins)::int AS created`,
    deleteSubscription: `WITH gone AS (DELETE FROM ${s}.queues WHERE name = $1 AND topic IS NOT NULL RETURNING name)
      SELECT pg_notify($2, name) FROM gone`,
    /** $1 topic, $2..$6 the batch columns, $7 channel: fans out to every matching subscription at once. */
    publish: `WITH ins AS (
        INSERT INTO ${s}.messages (queue, id, body, content_type, attributes, visible_at)
        SELECT q.name, i.id, i.body, i.content_type, i.attributes, now()
        FROM unnest($2::uuid[], $3::bytea[], $4::text[], $5::jsonb[], $6::int[])
          WITH ORDINALITY AS i(id, body, content_type, attributes, delay, n)
        JOIN ${s}.queues q ON q.topic = $1 AND ${s}.filter_matches(q.filter, i.attributes)
        ORDER BY i.n
        RETURNING queue),
      notified AS (SELECT pg_notify($7, queue) FROM (SELECT DISTINCT queue FROM ins) d)
      SELECT EXISTS (SELECT 1 FROM ${s}.topics WHERE name = $1) AS found,
        (SELECT count(*) FROM notified)::int AS subscriptions`,
  }
}

export type Statements = ReturnType<typeof statements>
