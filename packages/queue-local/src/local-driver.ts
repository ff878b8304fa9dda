import { randomUUID } from 'node:crypto'
import {
  type Capabilities,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  type QueueDriver,
  QueueError,
  queueNotFound,
  type ReceiveRequest,
  resolveLeaseSeconds,
  type SendResult,
  type SubscriptionFilter,
  type TopicDriver,
} from '@anyqueue/queue-core/driver'
import { Level } from 'level'
import { DRIVER_NAME } from './constants.js'
import { classifyLocalError } from './local-errors.js'
import { listLocalQueues } from './local-list.js'
import type { LocalDriverOptions } from './local-options.js'
import { LocalTopics } from './local-topics.js'
import { QueueIndex } from './queue-index.js'

/**
 * Key layout, one database for many queues (`!` cannot occur in a queue name):
 *   Q!<queue>        the queue exists
 *   N!<queue>        next sequence number, so a seq (and thus a receipt handle) is never reused
 *   M!<queue>!<seq>  the message, written once: `id \n content-type \n enqueued-ms \n attributes \n body`
 *                    (attributes as JSON, or empty)
 *   S!<queue>!<seq>  its state (deliveries, visible-from), only once delayed or leased; a message
 *                    without one is undelivered and visible
 * Seqs are fixed-width hex, so key order is FIFO order. The body is stored raw after a small text
 * header rather than inside JSON, which would escape every quote of a JSON body.
 */
const key = {
  queue: (q: string) => `Q!${q}`,
  next: (q: string) => `N!${q}`,
  message: (q: string, seq: number) => `M!${q}!${hex(seq)}`,
  state: (q: string, seq: number) => `S!${q}!${hex(seq)}`,
}
const hex = (seq: number) => seq.toString(16).padStart(13, '0')

/** Receipt handles: `lq1.<queue>.<seq>.<token>`, the token being the delivery count of that lease. */
const HANDLE = /^lq1\.([A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64})?)\.([0-9a-f]{1,13})\.([1-9][0-9]{0,9})$/

function encodeMessage(m: OutgoingMessage, id: string, enqueuedAt: number): string {
  const attributes = Object.keys(m.attributes).length > 0 ? JSON.stringify(m.attributes) : ''
  return `${id}\n${m.contentType ?? ''}\n${enqueuedAt}\n${attributes}\n${m.body}`
}

function decodeMessage(value: string) {
  const ends: number[] = []
  for (let from = 0; ends.length < 4; from = ends[ends.length - 1]! + 1) ends.push(value.indexOf('\n', from))
  const [a, b, c, d] = ends as [number, number, number, number]
  return {
    id: value.slice(0, a),
    contentType: b > a + 1 ? value.slice(a + 1, b) : undefined,
    enqueuedAt: Number(value.slice(b + 1, c)),
    attributes: d > c + 1 ? (JSON.parse(value.slice(c + 1, d)) as Record<string, string>) : {},
    body: value.slice(d + 1),
  }
}

interface StoredState {
  d: number
  v: number
}

type Batch = Array<{ type: 'put'; key: string; value: string } | { type: 'del'; key: string }>

export class LocalDriver implements QueueDriver, TopicDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities = Object.freeze({
    persistent: true,
    fifo: true,
    delay: 900,
    nackDelay: 43_200,
    renewLease: true,
    deadLetter: false,
    maxBatch: LIMITS.maxBatch,
    minLeaseSeconds: 1,
    staleHandles: 'ignored',
    topics: Object.freeze({ filters: Object.freeze(['equals', 'notEquals', 'exists', 'prefix'] as const) }),
  })
  readonly leaseSeconds: number
  /** The underlying `level` database: an escape hatch for inspection, not for writes. */
  readonly db: Level<string, string>
  readonly #options: Required<LocalDriverOptions>
  readonly #queues = new Map<string, Promise<QueueIndex>>()
  #known: Set<string> | undefined
  #opening: Promise<void> | undefined
  #closed = false
  /** Topics and subscriptions (`local-topics.ts`); a subscription is the queue `topic/subscription`. */
  readonly #topics: LocalTopics

  constructor(options: LocalDriverOptions) {
    if (typeof options?.location !== 'string' || options.location === '') {
      throw new QueueError('INVALID_ARGUMENT', 'location must be a folder path', {
        field: 'location',
        driver: DRIVER_NAME,
      })
    }
    const leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: 1,
      max: LIMITS.maxNackDelaySeconds,
      driver: DRIVER_NAME,
    })
    this.#options = { createIfMissing: false, sync: true, ...options, leaseSeconds }
    this.leaseSeconds = leaseSeconds
    this.db = new Level<string, string>(options.location, { keyEncoding: 'utf8', valueEncoding: 'utf8' })
    this.#topics = new LocalTopics({
      db: this.db,
      sync: this.#options.sync,
      open: () => this.#open(),
      index: (queue) => this.#index(queue),
      createQueue: (queue) => this.createQueue(queue),
      deleteQueue: (queue) => this.deleteQueue(queue),
      messageKey: key.message,
      nextKey: key.next,
      encode: encodeMessage,
    })
  }

  /** The queues that exist (not topic subscriptions), sorted: see `local-list.ts`. */
  listQueues(): Promise<string[]> {
    return listLocalQueues(this.db, () => this.#open())
  }

  async createQueue(queue: string): Promise<void> {
    await this.#open()
    if (this.#known!.has(queue)) return
    // Leftovers of a deletion cut short by a crash must not reappear in the new queue.
    await this.#clearMessages(queue)
    await this.db.put(key.queue(queue), '{}', { sync: this.#options.sync })
    this.#known!.add(queue)
  }

  /**
   * Durable once it resolves: the queue's marker goes first, in a synced write, so a crash can never
   * bring the queue back; its messages are cleared after. The sequence counter is kept, so the
   * queue's next lifetime never hands out a receipt handle of this one.
   */
  async deleteQueue(queue: string): Promise<void> {
    await this.#open()
    const loading = this.#queues.get(queue)
    this.#known!.delete(queue)
    this.#queues.delete(queue)
    if (loading) (await loading.catch(() => undefined))?.notify()
    await this.db.del(key.queue(queue), { sync: true })
    await this.#clearMessages(queue)
  }

  #clearMessages(queue: string): Promise<unknown> {
    return Promise.all(
      ['M', 'S'].map((prefix) => this.db.clear({ gt: `${prefix}!${queue}!`, lt: `${prefix}!${queue}!~` })),
    )
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const index = await this.#index(queue)
    const now = Date.now()
    const ops: Batch = []
    const added: Array<{ seq: number; id: string; visibleAt: number }> = []
    for (const m of messages) {
      const seq = index.nextSeq++
      const id = randomUUID()
      const visibleAt = now + m.delaySeconds * 1000
      ops.push({
        type: 'put',
        key: key.message(queue, seq),
        value: encodeMessage(m, id, now),
      })
      if (m.delaySeconds > 0) {
        const state: StoredState = { d: 0, v: visibleAt }
        ops.push({ type: 'put', key: key.state(queue, seq), value: JSON.stringify(state) })
      }
      added.push({ seq, id, visibleAt })
    }
    ops.push({ type: 'put', key: key.next(queue), value: String(index.nextSeq) })
    // Visible only once durable: a receiver must never get a message whose send could still fail.
    await this.db.batch(ops, { sync: this.#options.sync })
    const after = Date.now()
    for (const { seq, visibleAt } of added) index.insert(seq, 0, visibleAt, after)
    index.notify()
    return added.map(({ id }) => ({ id }))
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const index = await this.#index(queue)
    const deadline = Date.now() + request.waitSeconds * 1000
    const leaseMs = this.leaseSeconds * 1000
    for (;;) {
      const now = Date.now()
      const taken = index.take(request.maxMessages, now, leaseMs)
      if (taken.length > 0) return this.#deliver(queue, index, taken, now)
      const remaining = deadline - now
      if (remaining <= 0 || request.signal?.aborted || this.#closed || !this.#queues.has(queue)) return []
      await index.wait(Math.min(remaining, index.nextVisibleIn(now)), request.signal)
    }
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const index = await this.#index(queue)
    const ops: Batch = []
    for (const handle of receiptHandles) {
      const lease = this.#lease(queue, index, handle)
      if (!lease) continue // acked already, or redelivered since: a no-op by contract
      index.remove(lease.seq)
      ops.push(
        { type: 'del', key: key.message(queue, lease.seq) },
        { type: 'del', key: key.state(queue, lease.seq) },
      )
    }
    if (ops.length > 0) await this.db.batch(ops)
  }

  async nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    const index = await this.#index(queue)
    const lease = this.#lease(queue, index, receiptHandle)
    if (!lease) return
    const now = Date.now()
    await this.#setVisibility(queue, index, lease, now + delaySeconds * 1000, now)
  }

  async renewLease(queue: string, receiptHandle: string): Promise<void> {
    const index = await this.#index(queue)
    const lease = this.#lease(queue, index, receiptHandle)
    if (!lease) return
    const now = Date.now()
    await this.#setVisibility(queue, index, lease, now + this.leaseSeconds * 1000, now)
  }

  createTopic(topic: string): Promise<void> {
    return this.#topics.createTopic(topic)
  }

  deleteTopic(topic: string): Promise<void> {
    return this.#topics.deleteTopic(topic)
  }

  createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    return this.#topics.createSubscription(topic, subscription, filter)
  }

  deleteSubscription(topic: string, subscription: string): Promise<void> {
    return this.#topics.deleteSubscription(topic, subscription)
  }

  publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    return this.#topics.publishBatch(topic, messages)
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return HANDLE.test(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifyLocalError(error, this.#options.location)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const loading of this.#queues.values()) (await loading.catch(() => undefined))?.notify()
    await this.#opening?.catch(() => undefined)
    await this.db.close()
  }

  /** Opens the database lazily, on first use, and reads which queues exist. */
  #open(): Promise<void> {
    this.#opening ??= (async () => {
      try {
        await this.db.open()
      } catch (error) {
        throw classifyLocalError(error, this.#options.location) ?? error
      }
      const known = new Set<string>()
      for await (const k of this.db.keys({ gt: 'Q!', lt: 'Q!~' })) known.add(k.slice(2))
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
      loading = this.#load(queue)
      this.#queues.set(queue, loading)
      loading.catch(() => this.#queues.delete(queue))
    }
    return loading
  }

  async #load(queue: string): Promise<QueueIndex> {
    const next = await this.db.get(key.next(queue))
    const index = new QueueIndex(next === undefined ? 0 : Number(next))
    const now = Date.now()
    const states = new Map<string, StoredState>()
    const statePrefix = `S!${queue}!`
    for await (const [k, v] of this.db.iterator({ gt: statePrefix, lt: `${statePrefix}~` })) {
      states.set(k.slice(statePrefix.length), JSON.parse(v) as StoredState)
    }
    const messagePrefix = `M!${queue}!`
    for await (const k of this.db.keys({ gt: messagePrefix, lt: `${messagePrefix}~` })) {
      const suffix = k.slice(messagePrefix.length)
      const seq = Number.parseInt(suffix, 16)
      const state = states.get(suffix)
      index.insert(seq, state?.d ?? 0, state?.v ?? 0, now)
      if (seq >= index.nextSeq) index.nextSeq = seq + 1
    }
    return index
  }

  /** Reads the bodies of freshly leased messages and records the leases. */
  async #deliver(
    queue: string,
    index: QueueIndex,
    taken: ReturnType<QueueIndex['take']>,
    now: number,
  ): Promise<IncomingMessage[]> {
    const states: Batch = taken.map(({ seq, entry }) => ({
      type: 'put',
      key: key.state(queue, seq),
      value: JSON.stringify({ d: entry.deliveries, v: entry.visibleAt } satisfies StoredState),
    }))
    const [bodies] = await Promise.all([
      this.db.getMany(taken.map(({ seq }) => key.message(queue, seq))),
      this.db.batch(states),
    ]).catch((error: unknown) => {
      // Nothing was handed out: make the messages visible again rather than sit out a lease.
      for (const { seq, entry } of taken) index.reschedule(seq, entry, now, now)
      throw error
    })
    return taken.map(({ seq, entry }, i) => {
      const stored = decodeMessage(bodies[i]!)
      return {
        id: stored.id,
        body: stored.body,
        contentType: stored.contentType,
        receiptHandle: `lq1.${queue}.${seq.toString(16)}.${entry.deliveries}`,
        attempt: entry.deliveries,
        enqueuedAt: new Date(stored.enqueuedAt),
        attributes: stored.attributes,
      }
    })
  }

  #lease(queue: string, index: QueueIndex, handle: string) {
    const match = HANDLE.exec(handle)
    if (!match || match[1] !== queue) return undefined
    const seq = Number.parseInt(match[2]!, 16)
    const entry = index.current(seq, Number(match[3]))
    return entry ? { seq, entry } : undefined
  }

  async #setVisibility(
    queue: string,
    index: QueueIndex,
    lease: { seq: number; entry: ReturnType<QueueIndex['current']> & {} },
    visibleAt: number,
    now: number,
  ): Promise<void> {
    index.reschedule(lease.seq, lease.entry, visibleAt, now)
    if (visibleAt <= now) index.notify()
    const state: StoredState = { d: lease.entry.deliveries, v: visibleAt }
    await this.db.put(key.state(queue, lease.seq), JSON.stringify(state))
  }
}

/** Opens (lazily) an embedded, persistent queue store at `options.location`. */
export function createLocalDriver(options: LocalDriverOptions): LocalDriver {
  return new LocalDriver(options)
}
