import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis'

export interface RedisDriverOptions {
  /**
   * `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS). The driver builds its own
   * ioredis client from it and closes it on `close()`. Give `url` or `client`, not both; neither
   * means `redis://127.0.0.1:6379`.
   */
  url?: string
  /** ioredis options for the client built from `url` (`tls`, `password`, `maxRetriesPerRequest`, …). */
  redisOptions?: RedisOptions
  /**
   * Your own client: an ioredis `Redis` or `Cluster`. The driver uses it as configured, duplicates
   * it once for its wake-up subscription, and leaves it open on `close()` (it quits only the duplicate).
   */
  client?: Redis | Cluster
  /** Cluster nodes to start from (`[{ host, port }]`): the driver then builds an ioredis `Cluster`. */
  cluster?: { nodes: { host: string; port: number }[]; options?: ClusterOptions }
  /** Lease of received messages, in seconds. Default 30; 1 to 43,200. */
  leaseSeconds?: number
  /** Create a missing queue on first use instead of failing with `QUEUE_NOT_FOUND`. Default false. */
  createIfMissing?: boolean
  /**
   * Prepended to every key the driver makes (`<prefix>{q:<queue>}:…`), so several applications can
   * share a database. At most 32 characters of `A-Za-z0-9_:.-`. Default `aq:`.
   */
  prefix?: string
  /**
   * What a body without a content type — another producer's — arrives as: `'text'`, the text it
   * holds; `'json-or-text'`, the JSON value it holds when it parses as JSON, else that text.
   * Default `'text'`. anyqueue's own messages carry a content type and are never affected.
   */
  untypedBody?: 'text' | 'json-or-text'
}
