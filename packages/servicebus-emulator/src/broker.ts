import { plain, type StoredBody } from './amqp.js'
import {
  type EntityProperties,
  type QueueDefinition,
  resolveProperties,
  type SubscriptionDefinition,
  type TopicDefinition,
  type Topology,
} from './config.js'
import { Entity, type EntityHost } from './entity.js'
import { BrokerError, CONDITIONS, notFound } from './errors.js'
import { applyRules, compileRules } from './rules.js'
import { type StoredMessage, sessionOf } from './stored-message.js'

/** Where sends go: a queue, or a topic that copies each message to its matching subscriptions. */
interface SendTarget {
  readonly name: string
  readonly kind: 'queue' | 'topic'
  nextSeq: number
  readonly duplicates: Map<string, number>
}

interface Queue extends SendTarget {
  kind: 'queue'
  entity: Entity
}

interface Topic extends SendTarget {
  kind: 'topic'
  /** Its settings (time to live, duplicate detection); the subscription fields are unused. */
  properties: EntityProperties
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
export class Broker implements EntityHost {
  readonly #queues = new Map<string, Queue>()
  readonly #topics = new Map<string, Topic>()
  readonly #pending = new Set<Entity>()
  #pumpScheduled = false
  readonly #sweeper: NodeJS.Timeout

  /** Called with errors from timers, which have no caller to throw to. */
  readonly #onError: (error: unknown) => void

  constructor(
    readonly namespace: string,
    onError: (error: unknown) => void,
  ) {
    this.#onError = onError
    this.#sweeper = setInterval(() => this.guard(() => this.#sweep()), 1_000)
    this.#sweeper.unref()
  }

  load(topology: Topology): void {
    for (const queue of topology.queues ?? []) this.addQueue(queue)
    for (const topic of topology.topics ?? []) this.addTopic(topic)
  }

  addQueue(definition: QueueDefinition): void {
    const key = this.#freeKey(definition.name)
    const properties = resolveProperties(definition.properties, `queue '${definition.name}'`)
    const entity = new Entity(this, definition.name, properties, undefined)
    this.#queues.set(key, { ...newTarget(definition.name), kind: 'queue', entity })
  }

  addTopic(definition: TopicDefinition): void {
    const key = this.#freeKey(definition.name)
    const properties = resolveProperties(definition.properties, `topic '${definition.name}'`)
    this.#topics.set(key, {
      ...newTarget(definition.name),
      kind: 'topic',
      properties,
      subscriptions: new Map(),
    })
    for (const sub of definition.subscriptions ?? []) this.addSubscription(definition.name, sub)
  }

  /** The key of a new queue or topic: its name in lower case, which no entity may hold yet. */
  #freeKey(name: string): string {
    const key = name.toLowerCase()
    if (this.#queues.has(key) || this.#topics.has(key)) {
      throw new BrokerError(CONDITIONS.entityExists, `The messaging entity '${name}' already exists.`, 409)
    }
    return key
  }

  /** Adds a subscription to a topic (with `$Default`, a true filter, when it has no rules). */
  addSubscription(topicName: string, definition: SubscriptionDefinition): Entity {
    const topic = this.#topics.get(topicName.toLowerCase())
    if (!topic) throw notFound(this.namespace, topicName)
    const key = definition.name.toLowerCase()
    if (topic.subscriptions.has(key))
      throw new BrokerError(
        CONDITIONS.entityExists,
        `The subscription '${definition.name}' already exists.`,
        409,
      )
    const path = `${topic.name}/Subscriptions/${definition.name}`
    const entity = new Entity(
      this,
      path,
      resolveProperties(definition.properties, path),
      compileRules(definition.rules),
    )
    topic.subscriptions.set(key, entity)
    return entity
  }

  deleteSubscription(topicName: string, name: string): boolean {
    const subscriptions = this.#topics.get(topicName.toLowerCase())?.subscriptions
    subscriptions?.get(name.toLowerCase())?.clear()
    return subscriptions?.delete(name.toLowerCase()) ?? false
  }

  /** A topic's settings (mutable: the admin API updates them), or undefined when there is no such topic. */
  topicProperties(topicName: string): EntityProperties | undefined {
    return this.#topics.get(topicName.toLowerCase())?.properties
  }

  /** A topic's subscriptions by name, or undefined when there is no such topic. */
  subscriptions(topicName: string): Map<string, Entity> | undefined {
    return this.#topics.get(topicName.toLowerCase())?.subscriptions
  }

  topicNames(): string[] {
    return [...this.#topics.values()].map((t) => t.name)
  }

  deleteEntity(name: string): boolean {
    const key = name.toLowerCase()
    const queue = this.#queues.get(key)
    const topic = this.#topics.get(key)
    queue?.entity.clear()
    for (const sub of topic?.subscriptions.values() ?? []) sub.clear()
    return this.#queues.delete(key) || this.#topics.delete(key)
  }

  hasQueue(name: string): boolean {
    return this.#queues.has(name.toLowerCase())
  }

  hasTopic(name: string): boolean {
    return this.#topics.has(name.toLowerCase())
  }

  queueNames(): string[] {
    return [...this.#queues.values()].map((q) => q.name)
  }

  /** Every entity messages can be received from, for tests and the CLI. */
  *entities(): Generator<Entity> {
    for (const q of this.#queues.values()) yield* [q.entity, q.entity.deadLetterQueue!]
    for (const t of this.#topics.values())
      for (const s of t.subscriptions.values()) yield* [s, s.deadLetterQueue!]
  }

  /** Resolves a receive address: `q`, `q/$DeadLetterQueue`, `t/Subscriptions/s[/$DeadLetterQueue]`. */
  receivable(address: string): Entity {
    const parts = stripNamespace(address, this.namespace).split('/')
    const deadLetter = parts.length > 1 && parts.at(-1)!.toLowerCase() === '$deadletterqueue'
    if (deadLetter) parts.pop()
    let entity: Entity | undefined
    if (parts.length === 1) entity = this.#queues.get(parts[0]!.toLowerCase())?.entity
    else if (parts.length === 3 && parts[1]!.toLowerCase() === 'subscriptions') {
      entity = this.#topics.get(parts[0]!.toLowerCase())?.subscriptions.get(parts[2]!.toLowerCase())
    }
    if (!entity) throw notFound(this.namespace, address)
    return deadLetter ? entity.deadLetterQueue! : entity
  }

  /** Resolves a send address: a queue or a topic. */
  sendable(address: string): SendTarget {
    const key = stripNamespace(address, this.namespace).toLowerCase()
    const target = this.#queues.get(key) ?? this.#topics.get(key)
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
    return bodies.map((body) => this.#accept(target, body, scheduledAt?.(body) ?? scheduledTime(body), 0))
  }

  /** Hands a message on to another entity (auto-forwarding), keeping its body. */
  forward(address: string, message: StoredMessage): void {
    try {
      this.#accept(this.sendable(address), message.body, undefined, 1)
    } catch (error) {
      this.#onError(error)
    }
  }

  #accept(target: SendTarget, body: StoredBody, scheduledAt: number | undefined, hops: number): number {
    const now = Date.now()
    const messageId = body.decoded.message_id === undefined ? undefined : String(body.decoded.message_id)
    const seq = target.nextSeq++
    if (target.kind === 'queue') {
      const queue = target as Queue
      const { properties } = queue.entity
      if (properties.forwardTo && hops < 4)
        return this.#accept(this.sendable(properties.forwardTo), body, scheduledAt, hops + 1)
      if (isDuplicate(target, messageId, properties, now)) return seq
      queue.entity.add(
        this.#stored(seq, body, messageId, now, properties.defaultMessageTimeToLiveMs),
        scheduledAt,
      )
      return seq
    }
    const topic = target as Topic
    if (isDuplicate(target, messageId, topic.properties, now)) return seq
    for (const sub of topic.subscriptions.values()) {
      const copy = applyRules(sub.rules ?? [], body)
      if (!copy) continue
      if (sub.properties.forwardTo && hops < 4) {
        this.#accept(this.sendable(sub.properties.forwardTo), copy, scheduledAt, hops + 1)
        continue
      }
      const ttl = Math.min(
        topic.properties.defaultMessageTimeToLiveMs,
        sub.properties.defaultMessageTimeToLiveMs,
      )
      sub.add(this.#stored(seq, copy, messageId, now, ttl), scheduledAt)
    }
    return seq
  }

  #stored(
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
    this.#pending.add(entity)
    if (this.#pumpScheduled) return
    this.#pumpScheduled = true
    setImmediate(() => {
      this.#pumpScheduled = false
      const entities = [...this.#pending]
      this.#pending.clear()
      for (const e of entities) this.guard(() => e.pump())
    })
  }

  guard(work: () => void): void {
    try {
      work()
    } catch (error) {
      this.#onError(error)
    }
  }

  #sweep(): void {
    const now = Date.now()
    for (const entity of this.entities()) entity.sweepExpired(now)
    for (const target of [...this.#queues.values(), ...this.#topics.values()]) {
      for (const [id, until] of target.duplicates) if (until <= now) target.duplicates.delete(id)
    }
  }

  close(): void {
    clearInterval(this.#sweeper)
    for (const entity of this.entities()) entity.clear()
  }
}

/** What every send target starts with: no message numbered yet, no message id seen. */
function newTarget(name: string): Omit<SendTarget, 'kind'> {
  return { name, nextSeq: 1, duplicates: new Map() }
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
