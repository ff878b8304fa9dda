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
import type { Level } from 'level'
import { DRIVER_NAME } from './constants.js'
import { clearDeleted, deletionOps, finishDeletions } from './deletions.js'
import { isReceiptHandle, leaseOf } from './handles.js'
import { encodeMessage, encodeState, key, SEQ_BLOCK } from './keys.js'
import { Deliveries } from './local-deliveries.js'
import { classifyLocalError } from './local-errors.js'
import { localPeek, localStats } from './local-inspect.js'
import { listLocalQueues } from './local-list.js'
import type { LocalDriverOptions } from './local-options.js'
import { LocalTopics } from './local-topics.js'
import { checkLocation, prepareLocation } from './location.js'
import { type Entry, type QueueIndex, READ_AHEAD } from './queue-index.js'
import { loadIndex, ReadAhead } from './queue-loading.js'
import { Store } from './store.js'
import { type Batch, WriteQueue } from './write-queue.js'

/** Every option `LocalDriverOptions` has: anything else is a typo, refused by name. */
const OPTION_KEYS = [
  'location',
  'leaseSeconds',
  'createIfMissing',
  'sync',
  'untypedBody',
] as const satisfies readonly (keyof LocalDriverOptions)[]

export class LocalDriver implements QueueDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  readonly #options: Required<LocalDriverOptions>
  readonly #store: Store
  readonly #queues = new Map<string, Promise<QueueIndex>>()
  /** The indexes of `#queues` that finished loading: a receive or ack on them awaits nothing first. */
  readonly #loaded = new Map<string, QueueIndex>()
  /** Unsynced writes (delivery records, acks), gathered into shared batches. */
  readonly #writes: WriteQueue
  /** Records deliveries before handing messages out (`local-deliveries.ts`). */
  readonly #deliveries: Deliveries
  /** The read-ahead of every queue's backlog (`queue-loading.ts`). */
  readonly #reads: ReadAhead
  /** Topics and subscriptions (`local-topics.ts`); a subscription is the queue `topic/subscription`. */
  readonly topics: LocalTopics
  #known: Set<string> | undefined
  /** Per queue, the clearing of its deletion under way: a re-creation waits for it. */
  readonly #deleting = new Map<string, Promise<void>>()
  #opening: Promise<void> | undefined
  #closed = false

  constructor(options: LocalDriverOptions) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
    checkLocation(options?.location)
    const leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: 1,
      max: LIMITS.maxNackDelaySeconds,
      driver: DRIVER_NAME,
    })
    this.capabilities = Object.freeze({
      persistent: true,
      fifo: true,
      delay: 900,
      nackDelay: 43_200,
      renewLease: true,
      deadLetter: false,
      maxBatch: LIMITS.maxBatch,
      minLeaseSeconds: 1,
      staleHandles: 'ignored',
      topics: ALL_FILTER_TOPICS,
      untypedBody: resolveUntypedBody(options.untypedBody, 'text', DRIVER_NAME),
      stats: EXACT_STATS,
      peek: true,
    })
    this.#options = {
      createIfMissing: false,
      sync: true,
      ...options,
      leaseSeconds,
      untypedBody: this.capabilities.untypedBody,
    }
    this.leaseSeconds = leaseSeconds
    this.#store = new Store(options.location)
    this.#reads = new ReadAhead(this.#store)
    this.#writes = new WriteQueue((ops) => this.#store.run((db) => db.batch(ops)))
    this.#deliveries = new Deliveries(this.#store, this.#writes)
    this.topics = new LocalTopics({
      run: (call) => this.#store.run(call),
      sync: this.#options.sync,
      open: () => this.#open(),
      createQueue: (queue, also) => this.#createQueue(queue, also),
      deleteQueues: (queues, also) => this.#deleteQueues(queues, also),
      sendMany: (targets) => this.#sendMany(targets),
    })
  }

  /** The underlying `level` database: an escape hatch for inspection, not for writes. */
  get db(): Level<string, string> {
    return this.#store.db
  }

  /** The queues that exist (not topic subscriptions), sorted: see `local-list.ts`. */
  listQueues(): Promise<string[]> {
    return listLocalQueues(this.db, () => this.#open())
  }

  createQueue(queue: string): Promise<void> {
    return this.#createQueue(queue, [])
  }

  /** Creates a queue, writing `also` (a subscription's record) in the same batch as its marker. */
  async #createQueue(queue: string, also: Batch): Promise<void> {
    await this.#open()
    await this.#deleting.get(queue)?.catch(() => undefined)
    if (this.#known!.has(queue)) {
      if (also.length > 0) await this.#store.run((db) => db.batch(also, { sync: this.#options.sync }))
      return
    }
    // Leftovers of a deletion cut short by a crash must not reappear in the new queue.
    await this.#clearMessages(queue)
    await this.#store.run((db) =>
      db.batch([{ type: 'put', key: key.queue(queue), value: '{}' }, ...also], { sync: this.#options.sync }),
    )
    this.#known!.add(queue)
  }

  /**
   * Durable once it resolves: the queue's marker goes first, in a synced write, so a crash can never
   * bring the queue back; its messages are cleared after. The seq ceiling is kept, so the queue's
   * next lifetime never hands out a receipt handle of this one.
   */
  deleteQueue(queue: string): Promise<void> {
    return this.#deleteQueues([queue], [])
  }

  /** Deletes queues, and `also` (topic records), in one synced batch: see `deletions.ts`. */
  async #deleteQueues(queues: readonly string[], also: Batch): Promise<void> {
    await this.#open()
    for (const queue of queues) {
      const loading = this.#queues.get(queue)
      this.#known!.delete(queue)
      this.#queues.delete(queue)
      this.#loaded.delete(queue)
      if (loading) (await loading.catch(() => undefined))?.notify()
    }
    await this.#store.run((db) => db.batch([...also, ...deletionOps(queues)], { sync: true }))
    const clearing = this.#store.run((db) => clearDeleted(db, queues))
    for (const queue of queues) this.#deleting.set(queue, clearing)
    try {
      await clearing
    } finally {
      for (const queue of queues) if (this.#deleting.get(queue) === clearing) this.#deleting.delete(queue)
    }
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const [ids] = await this.#sendMany([{ queue, messages }])
    return ids!.map((id) => ({ id }))
  }

  /**
   * Writes messages into one or more queues in ONE batch, durable like a send: a topic's publish is
   * in every matching subscription or in none. `ids` gives the messages their ids (a publish shares
   * one id across its copies); otherwise each gets a fresh one. Resolves with the ids, per target.
   */
  async #sendMany(
    targets: ReadonlyArray<{ queue: string; messages: readonly OutgoingMessage[]; ids?: readonly string[] }>,
  ): Promise<string[][]> {
    const now = Date.now()
    const ops: Batch = []
    const prepared: Array<{
      index: QueueIndex
      first: number
      added: Array<{ id: string; value: string; visibleAt: number; key: string }>
      ceiling: number | undefined
    }> = []
    // Every index first: a target that fails to load (a queue deleted meanwhile) must fail the send
    // before any seq is allocated, or the other targets would wait for seqs that never arrive.
    const indexes = await Promise.all(targets.map(({ queue }) => this.#index(queue)))
    for (const [t, { queue, messages, ids }] of targets.entries()) {
      const index = indexes[t]!
      const first = index.allocate(messages.length)
      const added: Array<{ id: string; value: string; visibleAt: number; key: string }> = []
      messages.forEach((m, i) => {
        const seq = first + i
        const id = ids?.[i] ?? randomUUID()
        const value = encodeMessage(m, id, now)
        const visibleAt = now + m.delaySeconds * 1000
        const messageKey = key.message(queue, seq)
        ops.push({ type: 'put', key: messageKey, value })
        if (m.delaySeconds > 0) {
          ops.push({
            type: 'put',
            key: key.state(queue, seq),
            value: encodeState({ deliveries: 0, visibleAt }),
          })
        }
        added.push({ id, value, visibleAt, key: messageKey })
      })
      const end = first + messages.length
      let ceiling: number | undefined
      if (end > index.ceiling) {
        ceiling = end + SEQ_BLOCK
        ops.push({ type: 'put', key: key.ceiling(queue), value: String(ceiling) })
      }
      prepared.push({ index, first, added, ceiling })
    }
    try {
      // Visible only once durable: a receiver must never get a message whose send could still fail.
      if (ops.length > 0) await this.#store.run((db) => db.batch(ops, { sync: this.#options.sync }))
    } catch (error) {
      for (const { index, first } of prepared) index.unsent(first)
      throw error
    }
    const after = Date.now()
    for (const { index, first, added, ceiling } of prepared) {
      if (ceiling !== undefined && ceiling > index.ceiling) index.ceiling = ceiling
      index.sent(first, added, after)
      index.notify()
    }
    return prepared.map(({ added }) => added.map(({ id }) => id))
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const index = this.#loaded.get(queue) ?? (await this.#index(queue))
    const deadline = Date.now() + request.waitSeconds * 1000
    const leaseMs = this.leaseSeconds * 1000
    for (;;) {
      if (index.unread(request.maxMessages)) await this.#reads.next(queue, index)
      const now = Date.now()
      const taken = index.take(request.maxMessages, now, leaseMs)
      if (taken.length > 0) {
        // Running low: the next messages are read while these are delivered, not when asked for.
        if (!this.#closed && index.unread(READ_AHEAD / 2)) this.#reads.ahead(queue, index)
        return this.#deliveries.deliver(queue, index, taken, now)
      }
      if (index.unread(request.maxMessages)) continue
      const remaining = deadline - now
      if (remaining <= 0 || request.signal?.aborted || this.#closed || !this.#queues.has(queue)) return []
      await index.wait(Math.min(remaining, index.nextVisibleIn(now)), request.signal)
    }
  }

  /** One delete per message, plus its state record only where one may exist. */
  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const index = this.#loaded.get(queue) ?? (await this.#index(queue))
    const ops: Batch = []
    const acked: Entry[] = []
    for (const handle of receiptHandles) {
      const entry = leaseOf(index, queue, handle)
      if (!entry) continue // acked already, or redelivered since: a no-op by contract
      ops.push({ type: 'del', key: entry.key ?? key.message(queue, entry.seq) })
      if (entry.stored) ops.push({ type: 'del', key: key.state(queue, entry.seq) })
      acked.push(entry)
    }
    if (ops.length === 0) return
    // Forgotten only once deleted: an ack that fails leaves the lease to run out, not a lost message.
    await this.#writes.push(ops)
    for (const entry of acked) index.remove(entry)
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const index = this.#loaded.get(queue) ?? (await this.#index(queue))
    const entry = leaseOf(index, queue, receiptHandle)
    if (!entry) return
    const now = Date.now()
    const visibleAt = now + delaySeconds * 1000
    index.release(entry, visibleAt, now)
    if (delaySeconds === 0) {
      index.notify() // its delivery count is on disk already: nothing to write
      return
    }
    entry.stored = true
    await this.#writes.push([
      {
        type: 'put',
        key: key.state(queue, entry.seq),
        value: encodeState({ deliveries: entry.deliveries, visibleAt }),
      },
    ])
  }

  /** In memory only: a lease that a crash cuts short only means an early redelivery. */
  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const index = this.#loaded.get(queue) ?? (await this.#index(queue))
    const entry = leaseOf(index, queue, receiptHandle)
    if (entry) index.renew(entry, Date.now() + this.leaseSeconds * 1000)
  }

  /** Exact counts from the index and the backlog's keys: see `local-inspect.ts`. */
  async stats(queue: string): Promise<QueueStats> {
    return localStats(this.#store, await this.#lookAt(queue), queue)
  }

  /** The first messages in FIFO order, without a lease: see `local-inspect.ts`. */
  async peek(queue: string, request: PeekRequest): Promise<PeekedIncomingMessage[]> {
    return localPeek(this.#store, await this.#lookAt(queue), queue, request.maxMessages)
  }

  /** The index of a queue that exists: a look creates nothing, even under `createIfMissing`. */
  async #lookAt(queue: string): Promise<QueueIndex> {
    await this.#open()
    if (!this.#known!.has(queue))
      throw queueNotFound(queue, { driver: DRIVER_NAME, detail: ` in ${this.#options.location}` })
    return this.#loaded.get(queue) ?? this.#index(queue)
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return isReceiptHandle(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifyLocalError(error, { location: this.#options.location, recovering: this.#store.recovering })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const loading of this.#queues.values()) (await loading.catch(() => undefined))?.notify()
    await this.#opening?.catch(() => undefined)
    await Promise.all([this.#reads.settled(), this.#writes.settled()].map((p) => p.catch(() => {})))
    await this.#store.close()
  }

  /** Opens the database lazily, on first use, and reads which queues exist. */
  #open(): Promise<void> {
    this.#opening ??= (async () => {
      await prepareLocation(this.#options.location)
      try {
        await this.db.open()
      } catch (error) {
        throw this.classifyError(error) ?? error
      }
      const known = new Set<string>()
      for await (const k of this.db.keys({ gt: 'Q!', lt: 'Q!~' })) known.add(k.slice(2))
      await finishDeletions(this.db, known)
      this.#known = known
    })()
    return this.#opening
  }

  /** The queue's index, loaded from disk on first use. */
  async #index(queue: string): Promise<QueueIndex> {
    await this.#open()
    if (!this.#known!.has(queue)) {
      // A subscription (`topic/subscription`) is made by createSubscription, never on first use.
      if (!this.#options.createIfMissing || queue.includes('/')) {
        throw queueNotFound(queue, { driver: DRIVER_NAME, detail: ` in ${this.#options.location}` })
      }
      await this.createQueue(queue)
    }
    let loading = this.#queues.get(queue)
    if (!loading) {
      const load = loadIndex(this.#store, queue)
      loading = load
      this.#queues.set(queue, load)
      load.then(
        (index) => {
          if (this.#queues.get(queue) === load) this.#loaded.set(queue, index)
        },
        () => this.#queues.delete(queue),
      )
    }
    return loading
  }

  #clearMessages(queue: string): Promise<unknown> {
    return this.#store.run((db) =>
      Promise.all([db.clear(key.range('M', queue)), db.clear(key.range('S', queue))]),
    )
  }
}

/** Opens (lazily) an embedded, persistent queue store at `options.location`. */
export function createLocalDriver(options: LocalDriverOptions): LocalDriver {
  return new LocalDriver(options)
}
