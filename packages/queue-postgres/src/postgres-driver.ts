import { randomUUID } from 'node:crypto'
import {
  ALL_FILTER_TOPICS,
  type Capabilities,
  EXACT_STATS,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  type PeekedIncomingMessage,
  type PeekRequest,
  type QueueDriver,
  type QueueError,
  type QueueStats,
  queueNotFound,
  type ReceiveRequest,
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolveUntypedBody,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import pg from 'pg'
import { DEFAULT_SCHEMA, DRIVER_NAME } from './constants.js'
import { batchColumns, incoming, type MessageRow, peeked } from './postgres-codec.js'
import type { PostgresContext } from './postgres-context.js'
import { classifyPostgresError } from './postgres-errors.js'
import { Listener } from './postgres-listener.js'
import type { PostgresDriverOptions } from './postgres-options.js'
import { checkMigrated, checkSchemaName, migratePostgres, type Queryable, quote } from './postgres-schema.js'
import { statements } from './postgres-sql.js'
import { PostgresTopics } from './postgres-topics.js'

/**
 * Receipt handles: `pg1.<queue>.<seq>.<delivery>`. `seq` comes from one identity column of the
 * schema, so a handle never repeats, not even after a queue is deleted and created again; the
 * delivery number tells a stale handle from the current one.
 */
const HANDLE = /^pg1\.([A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64})?)\.([1-9][0-9]{0,18})\.([1-9][0-9]{0,9})$/

const OPTION_KEYS = [
  'connectionString',
  'pool',
  'poolConfig',
  'schema',
  'migrate',
  'leaseSeconds',
  'createIfMissing',
  'listen',
  'pollMilliseconds',
  'untypedBody',
] as const satisfies readonly (keyof PostgresDriverOptions)[]

/**
 * Queues in PostgreSQL tables: a receive leases rows with `FOR UPDATE SKIP LOCKED`, so concurrent
 * receivers never share one; leases, delays and stale handles are decided in SQL on the server's
 * clock; long polls are woken by `LISTEN/NOTIFY`, with a polling fallback.
 */
export class PostgresDriver implements QueueDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  readonly topics: PostgresTopics
  /** The pool every statement runs on (the driver's own, or yours). */
  readonly pool: pg.Pool
  readonly #context: PostgresContext
  readonly #ownsPool: boolean
  readonly #createIfMissing: boolean
  readonly #listener: Listener
  #ready: Promise<void> | undefined
  readonly #migrate: boolean
  readonly #options: PostgresDriverOptions
  /** Where statements run: the pool, or the caller's transaction for `transaction(client)`'s view. */
  readonly #db: Queryable
  readonly #parent: PostgresDriver | undefined

  /** `bound` is internal: the view `transaction(client)` makes (statements on `client`). */
  constructor(options: PostgresDriverOptions = {}, bound?: { client: Queryable; parent: PostgresDriver }) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
    this.#options = options
    this.#parent = bound?.parent
    const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA)
    this.capabilities = Object.freeze({
      persistent: true,
      fifo: false,
      delay: LIMITS.maxNackDelaySeconds,
      nackDelay: LIMITS.maxNackDelaySeconds,
      renewLease: true,
      deadLetter: false,
      maxBatch: LIMITS.maxBatch,
      minLeaseSeconds: 1,
      staleHandles: 'ignored',
      untypedBody: resolveUntypedBody(options.untypedBody, 'text', DRIVER_NAME),
      topics: ALL_FILTER_TOPICS,
      stats: EXACT_STATS,
      peek: true,
    })
    this.leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: 1,
      max: LIMITS.maxNackDelaySeconds,
      driver: DRIVER_NAME,
    })
    this.#createIfMissing = options.createIfMissing ?? false
    this.#migrate = options.migrate ?? true
    this.#ownsPool = options.pool === undefined && !bound
    this.pool =
      options.pool ??
      new pg.Pool({
        connectionString: options.connectionString,
        connectionTimeoutMillis: 10_000,
        ...options.poolConfig,
      })
    this.#db = bound?.client ?? this.pool
    // An idle connection of our own pool that the server drops must not crash the process.
    if (this.#ownsPool) this.pool.on('error', () => {})
    this.#context = {
      schema,
      sql: statements(quote(schema)),
      channel: `anyqueue_${schema}`,
      ready: () => this.#whenReady(),
    }
    this.#listener = new Listener({
      pool: this.pool,
      channel: this.#context.channel,
      pollMs: options.pollMilliseconds ?? 250,
      enabled: (options.listen ?? true) && !bound,
    })
    this.topics = new PostgresTopics(this.#context, this.#db)
  }

  /**
   * PostgreSQL only: this driver's queues seen through `client`, a connection on which you opened a
   * transaction (`BEGIN`). What you send or publish through it (wrap it: `new QueueClient(view)`)
   * is committed with your own writes, or rolled back with them: no lost and no phantom messages.
   * Receives, acks and nacks through it join the transaction too. The view never commits, releases
   * or ends `client`; closing it closes nothing. Other drivers have no such method, so code written
   * against them cannot call it by mistake.
   */
  transaction(client: Queryable): PostgresDriver {
    if (this.#parent) return this.#parent.transaction(client)
    return new PostgresDriver({ ...this.#options, pool: this.pool }, { client, parent: this })
  }

  /** The schema this driver's tables live in. */
  get schema(): string {
    return this.#context.schema
  }

  /** Whether long polls are woken by notifications right now (false while the listener is down). */
  get listening(): boolean {
    return this.#listener.listening
  }

  async createQueue(queue: string): Promise<void> {
    await this.#whenReady()
    await this.#db.query(this.#context.sql.createQueue, [queue])
  }

  async deleteQueue(queue: string): Promise<void> {
    await this.#whenReady()
    await this.#db.query(this.#context.sql.deleteQueue, [queue, this.#context.channel])
    this.#listener.wake(queue)
  }

  async listQueues(): Promise<string[]> {
    await this.#whenReady()
    const { rows } = await this.#db.query(this.#context.sql.listQueues)
    return rows.map((row: { name: string }) => row.name)
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    await this.#whenReady()
    const results = await sendRows(this.#db, this.#context, queue, messages).catch(async (error) => {
      if (!isMissingQueue(error)) throw error
      if (!this.#createIfMissing || queue.includes('/')) throw queueNotFound(queue, { driver: DRIVER_NAME })
      await this.createQueue(queue)
      return sendRows(this.#db, this.#context, queue, messages)
    })
    this.#listener.wake(queue)
    return results
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    await this.#whenReady()
    const { sql } = this.#context
    const deadline = Date.now() + request.waitSeconds * 1000
    for (let first = true; ; first = false) {
      const { rows } = await this.#db.query(sql.receive, [queue, request.maxMessages, this.leaseSeconds])
      if (rows.length > 0) {
        return (rows as MessageRow[])
          .sort((a, b) => Number(a.seq) - Number(b.seq))
          .map((row) => incoming(row, `pg1.${queue}.${row.seq}.${row.deliveries}`))
      }
      const probe = (await this.#db.query(sql.probe, [queue])).rows[0] as {
        found: boolean
        due_in: number | null
      }
      if (!probe.found) {
        if (!first) return [] // deleted while we waited
        if (!this.#createIfMissing || queue.includes('/')) throw queueNotFound(queue, { driver: DRIVER_NAME })
        await this.createQueue(queue)
      }
      const remaining = deadline - Date.now()
      if (remaining <= 0 || request.signal?.aborted) return []
      const dueMs = probe.due_in === null ? remaining : Math.max(0, probe.due_in * 1000)
      await this.#listener.wait(queue, Math.min(remaining, dueMs), request.signal)
    }
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    await this.#whenReady()
    const leases = receiptHandles.map((h) => lease(queue, h)).filter((l) => l !== undefined)
    const { rowCount } = await this.#db.query(this.#context.sql.ack, [
      queue,
      leases.map((l) => l.seq),
      leases.map((l) => l.deliveries),
    ])
    if ((rowCount ?? 0) < receiptHandles.length) await this.#mustExist(queue)
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.#whenReady()
    const found = lease(queue, receiptHandle)
    if (found) {
      const { rows } = await this.#db.query(this.#context.sql.nack, [
        queue,
        found.seq,
        found.deliveries,
        delaySeconds,
        this.#context.channel,
      ])
      if (rows[0].n > 0) {
        if (delaySeconds === 0) this.#listener.wake(queue)
        return
      }
    }
    await this.#mustExist(queue)
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    await this.#whenReady()
    const found = lease(queue, receiptHandle)
    if (found) {
      const { rowCount } = await this.#db.query(this.#context.sql.renew, [
        queue,
        found.seq,
        found.deliveries,
        this.leaseSeconds,
      ])
      if (rowCount) return
    }
    await this.#mustExist(queue)
  }

  /** Exact counts, in one statement on one snapshot: nothing is received. */
  async stats(queue: string): Promise<QueueStats> {
    await this.#whenReady()
    const row = (await this.#db.query(this.#context.sql.stats, [queue])).rows[0]
    if (!row.found) throw queueNotFound(queue, { driver: DRIVER_NAME })
    return {
      visible: row.visible,
      inFlight: row.in_flight,
      active: row.visible + row.in_flight,
      delayed: row.delayed,
      oldestAgeSeconds: Math.max(0, row.oldest),
    }
  }

  /** The first messages in send order, as they are: a plain SELECT, no lock, no lease. */
  async peek(queue: string, request: PeekRequest): Promise<PeekedIncomingMessage[]> {
    await this.#whenReady()
    const { rows } = await this.#db.query(this.#context.sql.peek, [queue, request.maxMessages])
    if (rows.length === 0) await this.#mustExist(queue)
    return (rows as MessageRow[]).map(peeked)
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return HANDLE.test(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifyPostgresError(error, this.#context.schema)
  }

  async close(): Promise<void> {
    if (this.#parent) return
    await this.#listener.close()
    if (this.#ownsPool) await this.pool.end()
  }

  #whenReady(): Promise<void> {
    // A transaction's view never migrates on the caller's connection: its driver does, on the pool.
    if (this.#parent) return this.#parent.#whenReady()
    this.#ready ??= (
      this.#migrate
        ? migratePostgres(this.pool, this.#context.schema)
        : checkMigrated(this.pool, this.#context.schema)
    ).catch((error) => {
      this.#ready = undefined
      throw error
    })
    return this.#ready
  }

  async #mustExist(queue: string): Promise<void> {
    const { rows } = await this.#db.query(this.#context.sql.exists, [queue])
    if (!rows[0].found) throw queueNotFound(queue, { driver: DRIVER_NAME })
  }
}

/** The lease a handle names, when it is one of this queue's. */
function lease(queue: string, handle: string): { seq: string; deliveries: number } | undefined {
  const match = HANDLE.exec(handle)
  if (!match || match[1] !== queue) return undefined
  return { seq: match[2]!, deliveries: Number(match[3]) }
}

/** A foreign-key violation on `messages.queue`: the queue does not exist. */
export function isMissingQueue(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23503'
}

/** Inserts one batch in one statement (all or none) and notifies the queue's listeners. */
export async function sendRows(
  db: Queryable,
  context: PostgresContext,
  queue: string,
  messages: readonly OutgoingMessage[],
): Promise<SendResult[]> {
  const ids = messages.map(() => randomUUID())
  await db.query(context.sql.send, [queue, ...batchColumns(messages, ids), context.channel])
  return ids.map((id) => ({ id }))
}

/** Opens a driver on a connection string or your own `pg.Pool`. */
export function createPostgresDriver(options: PostgresDriverOptions = {}): PostgresDriver {
  return new PostgresDriver(options)
}
