import { newLockToken, plain, type StoredBody } from './amqp.js'
import {
  type EntityProperties,
  type QueueDefinition,
  resolveProperties,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
} from './config.js'
import { BrokerError, CONDITIONS, lockLost, notFound } from './errors.js'
import { SeqHeap } from './heap.js'
import { applyRules, compileRules, type Rule } from './rules.js'
import { Sessions } from './sessions.js'

export { BrokerError, CONDITIONS, lockLost, notFound } from './errors.js'

export type MessageState = 'active' | 'deferred' | 'scheduled'
export const STATE_CODE = { active: 0, deferred: 1, scheduled: 2 } as const

export interface StoredMessage {
  readonly seq: number
  body: StoredBody
  readonly messageId: string | undefined
  readonly enqueuedAt: number
  /** `Infinity` when the message never expires (dead-letter queues). */
  readonly expiresAt: number
  state: MessageState
  /** Deliveries so far; the header's delivery count on the next one. */
  deliveries: number
  lock: Lock | undefined
  /** Set once the message lives in a dead-letter queue: the entity it came from. */
  deadLetterSource: string | undefined
  scheduleTimer?: NodeJS.Timeout | undefined
}

export interface Lock {
  readonly token: string
  lockedUntil: number
  timer: NodeJS.Timeout
  /** Told when the lock ends: settled (by any path) or expired. The link settles its delivery. */
  onEnd?: ((expired: boolean) => void) | undefined
}

/** A link handing one entity's messages to a client: the server's half of a receiver. */
export interface Outlet {
  /** How many more messages the client has asked for. */
  credit(): number
  deliver(message: StoredMessage, entity: Entity): void
  /** The session this outlet holds, on a session-enabled entity: it receives only that session's messages. */
  readonly sessionId?: string | undefined
}

const MAX_TIMER_MS = 2 ** 31 - 1

/** A queue, a subscription, or the dead-letter queue of either: where messages wait for receivers. */
export class Entity {
  readonly messages = new Map<number, StoredMessage>()
  readonly locks = new Map<string, StoredMessage>()
  readonly outlets = new Set<Outlet>()
  readonly deadLetterQueue: Entity | undefined
  private readonly ready = new SeqHeap()
  private readonly queued = new Set<number>()
  private rotation = 0
  /** Present on session-enabled queues and subscriptions (not on their dead-letter queues). */
  readonly sessions: Sessions | undefined
  private nextExpiry = Number.POSITIVE_INFINITY

  constructor(
    readonly broker: Broker,
    /** The path receivers attach to, as configured (`orders`, `events/Subscriptions/audit`). */
    readonly path: string,
    readonly properties: EntityProperties,
    /** A subscription's rules (the rule manager changes them); undefined for queues. */
    readonly rules: Rule[] | undefined,
    isDeadLetterQueue = false,
  ) {
    this.deadLetterQueue = isDeadLetterQueue
      ? undefined
      : new Entity(broker, `${path}/$DeadLetterQueue`, properties, undefined, true)
    this.sessions =
      properties.requiresSession && !isDeadLetterQueue
        ? new Sessions(properties.lockDurationMs, (work) => broker.guard(work))
        : undefined
  }

  get isDeadLetterQueue(): boolean {
    return this.deadLetterQueue === undefined
  }

  /** Stores a message; it becomes receivable now, or at its scheduled time. */
  add(message: StoredMessage, scheduledAt: number | undefined): void {
    this.messages.set(message.seq, message)
    if (message.expiresAt < this.nextExpiry) this.nextExpiry = message.expiresAt
    if (scheduledAt !== undefined && scheduledAt > Date.now()) {
      message.state = 'scheduled'
      this.armSchedule(message, scheduledAt)
    } else {
      this.makeReady(message)
    }
  }

  private armSchedule(message: StoredMessage, at: number): void {
    const wait = at - Date.now()
    message.scheduleTimer = setTimeout(
      () => {
        message.scheduleTimer = undefined
        if (this.messages.get(message.seq) !== message) return
        if (at > Date.now()) return this.armSchedule(message, at)
        message.state = 'active'
        this.makeReady(message)
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    )
    message.scheduleTimer.unref()
  }

  /** Cancels scheduled messages; unknown or already-enqueued numbers are ignored, as Service Bus does. */
  cancelScheduled(seqs: number[]): void {
    for (const seq of seqs) {
      const message = this.messages.get(seq)
      if (message?.state !== 'scheduled') continue
      clearTimeout(message.scheduleTimer)
      this.messages.delete(seq)
    }
  }

  private makeReady(message: StoredMessage): void {
    if (this.queued.has(message.seq)) return
    this.queued.add(message.seq)
    const sessionId = this.sessions && sessionOf(message)
    if (sessionId !== undefined) this.sessions!.push(sessionId, message.seq)
    else this.ready.push(message.seq)
    this.broker.schedulePump(this)
  }

  /** The next receivable message, with expired ones moved out of the way. */
  private takeReady(now: number, sessionId: string | undefined): StoredMessage | undefined {
    for (;;) {
      const seq = sessionId === undefined ? this.ready.pop() : this.sessions?.pop(sessionId)
      if (seq === undefined) return undefined
      this.queued.delete(seq)
      const message = this.messages.get(seq)
      if (message?.state !== 'active' || message.lock) continue
      if (message.expiresAt <= now) {
        this.expire(message)
        continue
      }
      return message
    }
  }

  /** Hands ready messages to outlets with credit, round-robin, until one or the other runs out. */
  pump(): void {
    if (this.outlets.size === 0) return
    const now = Date.now()
    for (;;) {
      const outlets = [...this.outlets].filter((o) => o.credit() > 0)
      if (outlets.length === 0) return
      let delivered = false
      for (let i = 0; i < outlets.length; i++) {
        const outlet = outlets[(this.rotation + i) % outlets.length]!
        const message = this.takeReady(now, outlet.sessionId)
        if (!message) {
          if (outlet.sessionId === undefined) return
          continue // this session is drained; others may not be
        }
        this.rotation++
        outlet.deliver(message, this)
        delivered = true
      }
      if (!delivered) return
    }
  }

  /** Locks a message for a peek-lock receiver; the lock's expiry counts as an abandon. */
  lock(message: StoredMessage): Lock {
    const token = newLockToken()
    const lock: Lock = {
      token,
      lockedUntil: Date.now() + this.properties.lockDurationMs,
      timer: setTimeout(
        () => this.broker.guard(() => this.onLockExpired(message, token)),
        this.properties.lockDurationMs,
      ),
    }
    lock.timer.unref()
    message.lock = lock
    this.locks.set(token, message)
    return lock
  }

  private onLockExpired(message: StoredMessage, token: string): void {
    if (message.lock?.token !== token) return
    this.unlock(message, true)
    this.release(message)
  }

  private unlock(message: StoredMessage, expired = false): void {
    const lock = message.lock
    if (!lock) return
    clearTimeout(lock.timer)
    this.locks.delete(lock.token)
    message.lock = undefined
    lock.onEnd?.(expired)
  }

  /** The message a lock token refers to, while the lock is held. */
  locked(token: string): StoredMessage {
    const message = this.locks.get(token)
    if (!message?.lock || message.lock.lockedUntil <= Date.now()) {
      if (message) this.onLockExpired(message, token)
      throw lockLost()
    }
    return message
  }

  renew(token: string): number {
    const message = this.locked(token)
    const lock = message.lock!
    lock.lockedUntil = Date.now() + this.properties.lockDurationMs
    lock.timer.refresh()
    return lock.lockedUntil
  }

  complete(token: string): void {
    const message = this.locked(token)
    this.unlock(message)
    this.remove(message)
  }

  abandon(token: string, propertiesToModify: Record<string, unknown> | undefined): void {
    const message = this.locked(token)
    modify(message, propertiesToModify)
    this.unlock(message)
    this.release(message)
  }

  defer(token: string, propertiesToModify: Record<string, unknown> | undefined): void {
    const message = this.locked(token)
    modify(message, propertiesToModify)
    this.unlock(message)
    message.state = 'deferred'
  }

  deadLetter(
    token: string,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify: Record<string, unknown> | undefined,
  ): void {
    const message = this.locked(token)
    this.unlock(message)
    this.moveToDeadLetter(message, reason, description, propertiesToModify)
  }

  /** A message whose lock ended without a settlement: back in line, or dead-lettered at the limit. */
  private release(message: StoredMessage): void {
    if (!this.isDeadLetterQueue && message.deliveries >= this.properties.maxDeliveryCount) {
      this.moveToDeadLetter(
        message,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.properties.maxDeliveryCount} delivery attempts.`,
        undefined,
      )
      return
    }
    if (message.state === 'deferred') return
    if (message.expiresAt <= Date.now()) this.expire(message)
    else this.makeReady(message)
  }

  private expire(message: StoredMessage): void {
    if (this.properties.deadLetteringOnMessageExpiration && !this.isDeadLetterQueue) {
      this.moveToDeadLetter(
        message,
        'TTLExpiredException',
        'The message expired and was dead lettered.',
        undefined,
      )
    } else {
      this.remove(message)
    }
  }

  private moveToDeadLetter(
    message: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify: Record<string, unknown> | undefined,
  ): void {
    const target = this.deadLetterQueue
    this.remove(message)
    if (!target) return
    const applicationProperties = { ...message.body.applicationProperties, ...propertiesToModify }
    if (reason !== undefined) applicationProperties.DeadLetterReason = reason
    if (description !== undefined) applicationProperties.DeadLetterErrorDescription = description
    const dead: StoredMessage = {
      ...message,
      body: { ...message.body, applicationProperties },
      expiresAt: Number.POSITIVE_INFINITY,
      state: 'active',
      lock: undefined,
      scheduleTimer: undefined,
      deadLetterSource: this.path,
    }
    const forward = this.properties.forwardDeadLetteredMessagesTo
    if (forward) {
      this.broker.forward(forward, dead)
      return
    }
    target.add(dead, undefined)
  }

  private remove(message: StoredMessage): void {
    this.unlock(message)
    clearTimeout(message.scheduleTimer)
    this.messages.delete(message.seq)
  }

  /** Moves messages whose time to live ran out; the broker calls this about once a second. */
  sweepExpired(now: number): void {
    if (this.nextExpiry > now) return
    let next = Number.POSITIVE_INFINITY
    for (const message of [...this.messages.values()]) {
      if (message.expiresAt <= now && !message.lock && message.state !== 'scheduled') this.expire(message)
      else if (message.expiresAt < next) next = message.expiresAt
    }
    this.nextExpiry = next
  }

  /** Messages in sequence order from `from`, whatever their state: what peek shows. */
  peek(from: number, count: number, sessionId?: string): StoredMessage[] {
    const now = Date.now()
    return [...this.messages.values()]
      .filter(
        (m) => m.seq >= from && m.expiresAt > now && (sessionId === undefined || sessionOf(m) === sessionId),
      )
      .sort((a, b) => a.seq - b.seq)
      .slice(0, count)
  }

  /** Deferred messages by sequence number, locked for the caller (or removed in receive-and-delete). */
  receiveDeferred(
    seqs: number[],
    peekLock: boolean,
  ): Array<{ message: StoredMessage; lock: Lock | undefined }> {
    const found = seqs.map((seq) => {
      const message = this.messages.get(seq)
      if (message?.state !== 'deferred') {
        throw new BrokerError(
          CONDITIONS.messageNotFound,
          `Failed to retrieve the message with sequence number ${seq}.`,
          404,
        )
      }
      if (message.lock && message.lock.lockedUntil > Date.now()) {
        throw new BrokerError(
          CONDITIONS.messageNotFound,
          `The message with sequence number ${seq} is locked.`,
          404,
        )
      }
      return message
    })
    return found.map((message) => {
      message.deliveries++
      if (!peekLock) {
        this.remove(message)
        return { message, lock: undefined }
      }
      this.unlock(message)
      return { message, lock: this.lock(message) }
    })
  }

  /** Counts for tests and the CLI: what waits where. */
  counts(): { active: number; deferred: number; scheduled: number; locked: number } {
    const out = { active: 0, deferred: 0, scheduled: 0, locked: 0 }
    for (const m of this.messages.values()) {
      if (m.lock) out.locked++
      else out[m.state]++
    }
    return out
  }

  /** Drops every message and timer: the entity is being deleted or the broker closed. */
  clear(): void {
    for (const message of this.messages.values()) {
      clearTimeout(message.scheduleTimer)
      if (message.lock) clearTimeout(message.lock.timer)
    }
    this.messages.clear()
    this.locks.clear()
    this.ready.clear()
    this.queued.clear()
    this.sessions?.clear()
    this.deadLetterQueue?.clear()
  }
}

function modify(message: StoredMessage, properties: Record<string, unknown> | undefined): void {
  if (!properties || Object.keys(properties).length === 0) return
  message.body = {
    ...message.body,
    applicationProperties: { ...message.body.applicationProperties, ...properties },
  }
}

/** Where sends go: a queue, or a topic that copies each message to its matching subscriptions. */
interface SendTarget {
  readonly name: string
  readonly kind: 'queue' | 'topic'
  nextSeq: number
  readonly defaultTtlMs: number
  readonly duplicates: Map<string, number>
}

interface Queue extends SendTarget {
  kind: 'queue'
  entity: Entity
}

interface Topic extends SendTarget {
  kind: 'topic'
  subscriptions: Map<string, Entity>
}

/** Options a queue takes when created at run time, named as the SDK's administration client names them. */
export interface CreateQueueOptions {
  /** ISO 8601 (`PT30S`), as `ServiceBusAdministrationClient.createQueue` takes it. */
  lockDuration?: string
  maxDeliveryCount?: number
  defaultMessageTimeToLive?: string
  deadLetteringOnMessageExpiration?: boolean
  requiresDuplicateDetection?: boolean
  duplicateDetectionHistoryTimeWindow?: string
  forwardTo?: string
  forwardDeadLetteredMessagesTo?: string
  requiresSession?: boolean
}

/** The namespace: every queue and topic, and the sends and settlements between them. */
export class Broker {
  private readonly queues = new Map<string, Queue>()
  private readonly topics = new Map<string, Topic>()
  private readonly pending = new Set<Entity>()
  private pumpScheduled = false
  private readonly sweeper: NodeJS.Timeout

  constructor(
    readonly namespace: string,
    /** Called with errors from timers, which have no caller to throw to. */
    private readonly onError: (error: unknown) => void,
  ) {
    this.sweeper = setInterval(() => this.guard(() => this.sweep()), 1_000)
    this.sweeper.unref()
  }

  load(topology: Topology): void {
    for (const queue of topology.queues ?? []) this.addQueue(queue)
    for (const topic of topology.topics ?? []) this.addTopic(topic)
  }

  addQueue(definition: QueueDefinition): void {
    const key = definition.name.toLowerCase()
    if (this.queues.has(key) || this.topics.has(key)) {
      throw new BrokerError(
        CONDITIONS.entityExists,
        `The messaging entity '${definition.name}' already exists.`,
        409,
      )
    }
    const properties = resolveProperties(definition.properties, `queue '${definition.name}'`)
    this.queues.set(key, {
      name: definition.name,
      kind: 'queue',
      nextSeq: 1,
      defaultTtlMs: properties.defaultMessageTimeToLiveMs,
      duplicates: new Map(),
      entity: new Entity(this, definition.name, properties, undefined),
    })
  }

  addTopic(definition: TopicDefinition): void {
    const key = definition.name.toLowerCase()
    if (this.queues.has(key) || this.topics.has(key)) {
      throw new BrokerError(
        CONDITIONS.entityExists,
        `The messaging entity '${definition.name}' already exists.`,
        409,
      )
    }
    const topicProperties = resolveProperties(definition.properties, `topic '${definition.name}'`)
    const subscriptions = new Map<string, Entity>()
    for (const sub of definition.subscriptions ?? []) {
      const path = `${definition.name}/Subscriptions/${sub.name}`
      subscriptions.set(
        sub.name.toLowerCase(),
        new Entity(this, path, resolveProperties(sub.properties, path), compileRules(sub.rules)),
      )
    }
    this.topics.set(key, {
      name: definition.name,
      kind: 'topic',
      nextSeq: 1,
      defaultTtlMs: topicProperties.defaultMessageTimeToLiveMs,
      duplicates: new Map(),
      subscriptions,
    })
  }

  deleteEntity(name: string): boolean {
    const key = name.toLowerCase()
    const queue = this.queues.get(key)
    const topic = this.topics.get(key)
    queue?.entity.clear()
    for (const sub of topic?.subscriptions.values() ?? []) sub.clear()
    return this.queues.delete(key) || this.topics.delete(key)
  }

  hasQueue(name: string): boolean {
    return this.queues.has(name.toLowerCase())
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name.toLowerCase())
  }

  /** Adds a subscription to a topic at run time; it sees only messages sent from now on. */
  addSubscription(topicName: string, definition: SubscriptionDefinition): void {
    const topic = this.topics.get(topicName.toLowerCase())
    if (!topic) throw notFound(this.namespace, topicName)
    const key = definition.name.toLowerCase()
    if (topic.subscriptions.has(key)) {
      throw new BrokerError(
        CONDITIONS.entityExists,
        `The messaging entity '${topic.name}/Subscriptions/${definition.name}' already exists.`,
        409,
      )
    }
    const path = `${topic.name}/Subscriptions/${definition.name}`
    topic.subscriptions.set(
      key,
      new Entity(this, path, resolveProperties(definition.properties, path), compileRules(definition.rules)),
    )
  }

  /** Removes a subscription and its messages; false when there was none. */
  deleteSubscription(topicName: string, name: string): boolean {
    const subscriptions = this.topics.get(topicName.toLowerCase())?.subscriptions
    const entity = subscriptions?.get(name.toLowerCase())
    entity?.clear()
    return subscriptions?.delete(name.toLowerCase()) ?? false
  }

  /** Every entity messages can be received from, for tests and the CLI. */
  *entities(): Generator<Entity> {
    for (const q of this.queues.values()) yield* [q.entity, q.entity.deadLetterQueue!]
    for (const t of this.topics.values())
      for (const s of t.subscriptions.values()) yield* [s, s.deadLetterQueue!]
  }

  /** Resolves a receive address: `q`, `q/$DeadLetterQueue`, `t/Subscriptions/s[/$DeadLetterQueue]`. */
  receivable(address: string): Entity {
    const parts = stripNamespace(address, this.namespace).split('/')
    const deadLetter = parts.length > 1 && parts.at(-1)!.toLowerCase() === '$deadletterqueue'
    if (deadLetter) parts.pop()
    let entity: Entity | undefined
    if (parts.length === 1) entity = this.queues.get(parts[0]!.toLowerCase())?.entity
    else if (parts.length === 3 && parts[1]!.toLowerCase() === 'subscriptions') {
      entity = this.topics.get(parts[0]!.toLowerCase())?.subscriptions.get(parts[2]!.toLowerCase())
    }
    if (!entity) throw notFound(this.namespace, address)
    return deadLetter ? entity.deadLetterQueue! : entity
  }

  /** Resolves a send address: a queue or a topic. */
  sendable(address: string): SendTarget {
    const key = stripNamespace(address, this.namespace).toLowerCase()
    const target = this.queues.get(key) ?? this.topics.get(key)
    if (!target) throw notFound(this.namespace, address)
    return target
  }

  /**
   * Accepts messages for a queue or topic and returns their sequence numbers. Nothing is stored
   * unless every message is accepted.
   */
  send(
    address: string,
    bodies: StoredBody[],
    scheduledAt?: (body: StoredBody) => number | undefined,
  ): number[] {
    const target = this.sendable(address)
    if (
      target.kind === 'queue' &&
      (target as Queue).entity.sessions &&
      bodies.some((b) => !sessionOf({ body: b }))
    )
      throw new BrokerError(
        CONDITIONS.notAllowed,
        "Session enabled entity doesn't allow a message whose session identifier is null.",
        400,
      )
    return bodies.map((body) => this.accept(target, body, scheduledAt?.(body) ?? scheduledTime(body), 0))
  }

  /** Hands a message on to another entity (auto-forwarding), keeping its body. */
  forward(address: string, message: StoredMessage): void {
    try {
      this.accept(this.sendable(address), message.body, undefined, 1)
    } catch (error) {
      this.onError(error)
    }
  }

  private accept(
    target: SendTarget,
    body: StoredBody,
    scheduledAt: number | undefined,
    hops: number,
  ): number {
    const now = Date.now()
    const messageId = body.decoded.message_id === undefined ? undefined : String(body.decoded.message_id)
    const seq = target.nextSeq++
    if (target.kind === 'queue') {
      const queue = target as Queue
      const { properties } = queue.entity
      if (properties.forwardTo && hops < 4)
        return this.accept(this.sendable(properties.forwardTo), body, scheduledAt, hops + 1)
      if (isDuplicate(target, messageId, properties, now)) return seq
      queue.entity.add(
        this.stored(seq, body, messageId, now, properties.defaultMessageTimeToLiveMs),
        scheduledAt,
      )
      return seq
    }
    const topic = target as Topic
    for (const sub of topic.subscriptions.values()) {
      const copy = applyRules(sub.rules ?? [], body)
      if (!copy) continue
      if (sub.properties.forwardTo && hops < 4) {
        this.accept(this.sendable(sub.properties.forwardTo), copy, scheduledAt, hops + 1)
        continue
      }
      const ttl = Math.min(topic.defaultTtlMs, sub.properties.defaultMessageTimeToLiveMs)
      sub.add(this.stored(seq, copy, messageId, now, ttl), scheduledAt)
    }
    return seq
  }

  private stored(
    seq: number,
    body: StoredBody,
    messageId: string | undefined,
    now: number,
    defaultTtlMs: number,
  ): StoredMessage {
    const ttl = Math.min(body.header.ttlMs ?? Number.POSITIVE_INFINITY, defaultTtlMs)
    return {
      seq,
      body,
      messageId,
      enqueuedAt: now,
      expiresAt: now + ttl,
      state: 'active',
      deliveries: 0,
      lock: undefined,
      deadLetterSource: undefined,
    }
  }

  /** Cancels scheduled messages of a queue, or of every subscription of a topic. */
  cancelScheduled(address: string, seqs: number[]): void {
    const target = this.sendable(address)
    if (target.kind === 'queue') (target as Queue).entity.cancelScheduled(seqs)
    else for (const sub of (target as Topic).subscriptions.values()) sub.cancelScheduled(seqs)
  }

  /** Runs every entity's pump once the current burst of I/O is handled. */
  schedulePump(entity: Entity): void {
    this.pending.add(entity)
    if (this.pumpScheduled) return
    this.pumpScheduled = true
    setImmediate(() => {
      this.pumpScheduled = false
      const entities = [...this.pending]
      this.pending.clear()
      for (const e of entities) this.guard(() => e.pump())
    })
  }

  guard(work: () => void): void {
    try {
      work()
    } catch (error) {
      this.onError(error)
    }
  }

  private sweep(): void {
    const now = Date.now()
    for (const entity of this.entities()) entity.sweepExpired(now)
    for (const target of [...this.queues.values(), ...this.topics.values()]) {
      for (const [id, until] of target.duplicates) if (until <= now) target.duplicates.delete(id)
    }
  }

  close(): void {
    clearInterval(this.sweeper)
    for (const entity of this.entities()) entity.clear()
  }
}

function isDuplicate(
  target: SendTarget,
  messageId: string | undefined,
  properties: EntityProperties,
  now: number,
): boolean {
  if (!properties.requiresDuplicateDetection || messageId === undefined) return false
  const until = target.duplicates.get(messageId)
  if (until !== undefined && until > now) return true
  target.duplicates.set(messageId, now + properties.duplicateDetectionHistoryTimeWindowMs)
  return false
}

function scheduledTime(body: StoredBody): number | undefined {
  const at = plain(body.annotations['x-opt-scheduled-enqueue-time'])
  if (at instanceof Date) return at.getTime()
  if (typeof at === 'number') return at
  return undefined
}

function stripNamespace(address: string, namespace: string): string {
  // Clients may send a full address (amqps://ns.servicebus.windows.net/queue) or just the path.
  const path = address.replace(/^[a-z]+:\/\/[^/]+\//i, '')
  return path.startsWith(`${namespace}/`) ? path.slice(namespace.length + 1) : path
}

/** The session a message belongs to (its AMQP group id). */
export function sessionOf(message: { body: StoredBody }): string | undefined {
  const id = message.body.decoded.group_id
  return id === undefined || id === null ? undefined : String(id)
}
