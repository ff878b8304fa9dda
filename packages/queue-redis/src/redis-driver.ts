import { randomUUID } from 'node:crypto'
import {
  ALL_FILTER_TOPICS,
  type Capabilities,
  EXACT_STATS,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  type PeekedIncomingMessage,
  type PeekedState,
  type PeekRequest,
  parseSubscriptionAddress,
  type QueueDriver,
  QueueError,
  type QueueStats,
  type ReceiveRequest,
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolvePrefix,
  resolveUntypedBody,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import { Cluster, Redis } from 'ioredis'
import { DRIVER_NAME } from './constants.js'
import { classifyRedisError } from './redis-errors.js'
import { keyList, queueKeys } from './redis-keys.js'
import { decodeRecord, encodePayload, isHandle, makeHandle, parseHandle } from './redis-messages.js'
import type { RedisDriverOptions } from './redis-options.js'
import { type Reply, type ScriptName, Scripts } from './redis-scripts.js'
import { RedisTopics } from './redis-topics.js'
import { Wakeups } from './redis-wake.js'

const OPTION_KEYS = [
  'url',
  'redisOptions',
  'client',
  'cluster',
  'leaseSeconds',
  'createIfMissing',
  'prefix',
  'untypedBody',
] as const satisfies readonly (keyof RedisDriverOptions)[]

const PEEK_STATES: Record<string, PeekedState> = { v: 'visible', i: 'inFlight', d: 'delayed' }

/**
 * Queues in Redis (or Redis Cluster): a hash of records and three sorted sets per queue — ready
 * (by send order), delayed (by due time) and leased (by lease expiry) — every change made by a Lua
 * script on the server's clock. See the README for the data model and why.
 */
export class RedisDriver implements QueueDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  readonly topics: RedisTopics
  /** The client the driver runs its scripts on. */
  readonly client: Redis | Cluster
  readonly #ownsClient: boolean
  readonly #prefix: string
  readonly #createIfMissing: boolean
  readonly #scripts: Scripts
  readonly #wakeups: Wakeups
  #closed = false

  constructor(options: RedisDriverOptions = {}) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
    this.capabilities = Object.freeze({
      persistent: true,
      fifo: true,
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
    this.#prefix = resolvePrefix(options.prefix, {
      pattern: /^[A-Za-z0-9_:.-]{0,32}$/,
      described: 'at most 32 characters of A-Za-z0-9_:.-',
      limit: 32,
      fallback: 'aq:',
      driver: DRIVER_NAME,
    })
    this.#createIfMissing = options.createIfMissing ?? false
    if (options.client !== undefined && (options.url !== undefined || options.cluster !== undefined)) {
      throw new QueueError('INVALID_ARGUMENT', 'give client, or url or cluster to build one, not both', {
        field: 'client',
        driver: DRIVER_NAME,
      })
    }
    this.client = options.client ?? openClient(options)
    this.#ownsClient = options.client === undefined
    this.#scripts = new Scripts(this.client)
    this.#wakeups = new Wakeups(() => this.client.duplicate())
    this.topics = new RedisTopics({
      client: this.client,
      prefix: this.#prefix,
      run: (...a) => this.#run(...a),
    })
  }

  async createQueue(queue: string): Promise<void> {
    const keys = queueKeys(this.#prefix, queue)
    await this.#call([keys.meta], () => this.client.set(keys.meta, '1'))
  }

  async deleteQueue(queue: string): Promise<void> {
    const keys = queueKeys(this.#prefix, queue)
    await this.#run('anyqueueDelete', keyList(keys), [keys.wake])
  }

  /** The queues of this prefix, sorted (every master's keys on a Cluster). */
  async listQueues(): Promise<string[]> {
    const nodes = this.client instanceof Cluster ? this.client.nodes('master') : [this.client]
    const pattern = `${this.#prefix.replace(/[*?[\]\\]/g, '\\$&')}{q:*}:meta`
    const names = new Set<string>()
    for (const node of nodes) {
      let cursor = '0'
      do {
        const [next, found] = await this.#call([], () => node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000))
        cursor = next
        for (const key of found) names.add(key.slice(this.#prefix.length + 3, -'}:meta'.length))
      } while (cursor !== '0')
    }
    return [...names].sort()
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const keys = queueKeys(this.#prefix, queue)
    const ids = messages.map(() => randomUUID())
    const args: (string | number)[] = [keys.wake]
    for (const [i, m] of messages.entries()) args.push(m.delaySeconds * 1000, encodePayload(ids[i]!, m))
    await this.#found(queue, () => this.#run('anyqueueSend', keyList(keys), args))
    return ids.map((id) => ({ id }))
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const keys = queueKeys(this.#prefix, queue)
    const deadline = Date.now() + request.waitSeconds * 1000
    const args = [request.maxMessages, this.leaseSeconds * 1000]
    let first = true
    for (;;) {
      const waiting = request.waitSeconds > 0 && !this.#closed
      const armed = waiting
        ? await this.#call([], () => this.#wakeups.arm(keys.wake, request.signal))
        : undefined
      try {
        const reply = (await (first
          ? this.#found(queue, () => this.#run('anyqueueReceive', keyList(keys), args))
          : this.#run('anyqueueReceive', keyList(keys), args))) as (number | string)[]
        first = false
        if (reply[0] === -1) return [] // deleted while we waited
        if (reply.length > 2) return this.#incoming(queue, reply)
        const remaining = deadline - Date.now()
        if (!armed || remaining <= 0 || request.signal?.aborted || this.#closed) return []
        const nextDue = Number(reply[1])
        // A delayed message or an expired lease coming due wakes nobody: wait until it does.
        await armed.wait(nextDue >= 0 ? Math.min(remaining, nextDue + 1) : remaining, request.signal)
        // Past the deadline the poll is over: a late timer must not take what came due after it.
        if (Date.now() >= deadline) return []
      } finally {
        armed?.disarm()
      }
    }
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const keys = queueKeys(this.#prefix, queue)
    const args: string[] = []
    for (const handle of receiptHandles) {
      const parsed = parseHandle(queue, handle)
      if (parsed) args.push(parsed.seq, parsed.delivery)
    }
    await this.#found(queue, () => this.#run('anyqueueAck', keyList(keys), args))
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const keys = queueKeys(this.#prefix, queue)
    const parsed = parseHandle(queue, receiptHandle)
    if (!parsed) return
    const args = [parsed.seq, parsed.delivery, delaySeconds * 1000, keys.wake]
    await this.#found(queue, () => this.#run('anyqueueNack', keyList(keys), args))
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const keys = queueKeys(this.#prefix, queue)
    const parsed = parseHandle(queue, receiptHandle)
    if (!parsed) return
    const args = [parsed.seq, parsed.delivery, this.leaseSeconds * 1000]
    await this.#found(queue, () => this.#run('anyqueueRenew', keyList(keys), args))
  }

  /** Exact counts, read by one script from the queue's sorted sets: nothing is received. */
  async stats(queue: string): Promise<QueueStats> {
    const keys = queueKeys(this.#prefix, queue)
    const reply = (await this.#run('anyqueueStats', keyList(keys), [])) as number[]
    if (reply[0] === -1) throw this.#notFound(queue, false)
    const [, now, ready, dueDelayed, expired, leased, delayed, oldest] = reply as number[]
    const visible = ready! + dueDelayed! + expired!
    return {
      visible,
      inFlight: leased!,
      active: visible + leased!,
      delayed: delayed!,
      oldestAgeSeconds: oldest! < 0 ? 0 : Math.max(0, now! - oldest!) / 1000,
    }
  }

  /** The first messages in send order with their states, read by one script that changes nothing. */
  async peek(queue: string, request: PeekRequest): Promise<PeekedIncomingMessage[]> {
    const keys = queueKeys(this.#prefix, queue)
    const reply = (await this.#run('anyqueuePeek', keyList(keys), [request.maxMessages])) as string[]
    if (Number(reply[0]) === -1) throw this.#notFound(queue, false)
    const shown: PeekedIncomingMessage[] = []
    for (let i = 2; i < reply.length; i += 3) {
      const stored = decodeRecord(reply[i]!)
      shown.push({ ...stored, deliveries: Number(reply[i + 1]), state: PEEK_STATES[reply[i + 2]!]! })
    }
    return shown
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return isHandle(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifyRedisError(error)
  }

  async close(): Promise<void> {
    this.#closed = true
    await this.#wakeups.close()
    if (this.#ownsClient) await this.client.quit().catch(() => this.client.disconnect())
  }

  #incoming(queue: string, reply: (number | string)[]): IncomingMessage[] {
    const messages: IncomingMessage[] = []
    for (let i = 2; i < reply.length; i += 3) {
      const stored = decodeRecord(String(reply[i + 2]))
      const attempt = Number(reply[i + 1])
      messages.push({ ...stored, receiptHandle: makeHandle(queue, reply[i]!, attempt), attempt })
    }
    return messages
  }

  /** Runs a script whose first reply element is -1 for a missing queue: creates it when allowed, else `QUEUE_NOT_FOUND`. */
  async #found(queue: string, call: () => Promise<Reply>): Promise<Reply> {
    let reply = await call()
    if (missing(reply) && this.#createIfMissing && !parseSubscriptionAddress(queue)) {
      await this.createQueue(queue)
      reply = await call()
    }
    if (missing(reply)) throw this.#notFound(queue, true)
    return reply
  }

  #run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<Reply> {
    return this.#call(keys, () => this.#scripts.run(name, keys, args))
  }

  /** Runs a Redis call, turning a backend error into a `QueueError` that names the keys it touched. */
  async #call<T>(keys: readonly string[], call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      throw classifyRedisError(error, keys) ?? error
    }
  }

  #notFound(queue: string, canCreate: boolean): QueueError {
    const address = parseSubscriptionAddress(queue)
    if (address) {
      return new QueueError(
        'QUEUE_NOT_FOUND',
        `subscription "${address.subscription}" of topic "${address.topic}" does not exist: create it with createSubscription()`,
        { driver: DRIVER_NAME },
      )
    }
    const orOption = canCreate ? ', or open the driver with createIfMissing: true' : ''
    return new QueueError(
      'QUEUE_NOT_FOUND',
      `queue "${queue}" does not exist: create it with createQueue("${queue}")${orOption}`,
      { driver: DRIVER_NAME },
    )
  }
}

function missing(reply: Reply): boolean {
  return reply === -1 || (Array.isArray(reply) && reply[0] === -1)
}

function openClient(options: RedisDriverOptions): Redis | Cluster {
  if (options.url !== undefined && options.cluster !== undefined) {
    throw new QueueError('INVALID_ARGUMENT', 'give url or cluster, not both', {
      field: 'cluster',
      driver: DRIVER_NAME,
    })
  }
  // One retry per command in the client: the portable layer retries once more, so a lost server
  // fails a call in seconds rather than after ioredis' default twenty attempts.
  const base = { maxRetriesPerRequest: 1, ...options.redisOptions }
  const client = options.cluster
    ? new Cluster(options.cluster.nodes, { ...options.cluster.options, redisOptions: base })
    : new Redis(options.url ?? 'redis://127.0.0.1:6379', base)
  // A lost connection reaches the caller as the failed call's error (classified, retryable); the
  // client reconnects on its own, so its error events need no listener beyond this one.
  client.on('error', () => {})
  return client
}

/** Opens queues on a Redis server (or Cluster). */
export function createRedisDriver(options: RedisDriverOptions = {}): RedisDriver {
  return new RedisDriver(options)
}
