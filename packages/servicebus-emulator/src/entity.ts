import type { EntityProperties } from './config.js'
import { BrokerError, CONDITIONS } from './errors.js'
import { MessageLocks } from './message-locks.js'
import type { Rule } from './rules.js'
import { Sessions } from './sessions.js'
import { type Lock, modifyProperties, type StoredMessage, seqHeap, sessionOf } from './stored-message.js'

/** A link handing one entity's messages to a client: the server's half of a receiver. */
export interface Outlet {
  /** How many more messages the client has asked for. */
  credit(): number
  deliver(message: StoredMessage, entity: Entity): void
  /** The session this outlet holds, on a session-enabled entity: it receives only that session's messages. */
  readonly sessionId?: string | undefined
}

/**
 * What an entity needs from the namespace that holds it (the broker): a queue or subscription
 * never reaches the broker itself, so it can be read, and tested, without it.
 */
export interface EntityHost {
  /** Runs work a timer started, reporting what it throws: timers have no caller to throw to. */
  guard(work: () => void): void
  /** Runs `entity.pump()` once the current burst of I/O is handled. */
  schedulePump(entity: Entity): void
  /** Hands a message on to another entity by address (auto-forwarding of dead letters). */
  forward(address: string, message: StoredMessage): void
}

const MAX_TIMER_MS = 2 ** 31 - 1

/** A queue, a subscription, or the dead-letter queue of either: where messages wait for receivers. */
export class Entity {
  readonly messages = new Map<number, StoredMessage>()
  readonly #locks: MessageLocks
  readonly outlets = new Set<Outlet>()
  readonly deadLetterQueue: Entity | undefined
  /** Ready messages' sequence numbers, lowest first: the order Service Bus hands them out in. */
  #ready = seqHeap()
  readonly #queued = new Set<number>()
  #rotation = 0
  /** Present on session-enabled queues and subscriptions (not on their dead-letter queues). */
  readonly sessions: Sessions | undefined
  #nextExpiry = Number.POSITIVE_INFINITY

  readonly #host: EntityHost

  constructor(
    host: EntityHost,
    /** The path receivers attach to, as configured (`orders`, `events/Subscriptions/audit`). */
    readonly path: string,
    readonly properties: EntityProperties,
    /** A subscription's rules (the rule manager changes them); undefined for queues. */
    readonly rules: Rule[] | undefined,
    isDeadLetterQueue = false,
  ) {
    this.#host = host
    this.deadLetterQueue = isDeadLetterQueue
      ? undefined
      : new Entity(host, `${path}/$DeadLetterQueue`, properties, undefined, true)
    this.sessions =
      properties.requiresSession && !isDeadLetterQueue
        ? new Sessions(properties.lockDurationMs, (work) => host.guard(work))
        : undefined
    this.#locks = new MessageLocks(
      properties,
      (work) => host.guard(work),
      (message) => this.#release(message),
    )
  }

  get isDeadLetterQueue(): boolean {
    return this.deadLetterQueue === undefined
  }

  /** Stores a message; it becomes receivable now, or at its scheduled time. */
  add(message: StoredMessage, scheduledAt: number | undefined): void {
    this.messages.set(message.seq, message)
    if (message.expiresAt < this.#nextExpiry) this.#nextExpiry = message.expiresAt
    if (scheduledAt !== undefined && scheduledAt > Date.now()) {
      message.state = 'scheduled'
      this.#armSchedule(message, scheduledAt)
    } else {
      this.#makeReady(message)
    }
  }

  #armSchedule(message: StoredMessage, at: number): void {
    const wait = at - Date.now()
    message.scheduleTimer = setTimeout(
      () => {
        message.scheduleTimer = undefined
        if (this.messages.get(message.seq) !== message) return
        if (at > Date.now()) return this.#armSchedule(message, at)
        message.state = 'active'
        this.#makeReady(message)
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

  #makeReady(message: StoredMessage): void {
    if (this.#queued.has(message.seq)) return
    this.#queued.add(message.seq)
    const sessionId = this.sessions && sessionOf(message)
    if (sessionId !== undefined) this.sessions!.push(sessionId, message.seq)
    else this.#ready.push(message.seq)
    this.#host.schedulePump(this)
  }

  /** The next receivable message, with expired ones moved out of the way. */
  #takeReady(now: number, sessionId: string | undefined): StoredMessage | undefined {
    for (;;) {
      const seq = sessionId === undefined ? this.#ready.pop() : this.sessions?.pop(sessionId)
      if (seq === undefined) return undefined
      this.#queued.delete(seq)
      const message = this.messages.get(seq)
      if (message?.state !== 'active' || message.lock) continue
      if (message.expiresAt <= now) {
        this.#expire(message)
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
        const outlet = outlets[(this.#rotation + i) % outlets.length]!
        const message = this.#takeReady(now, outlet.sessionId)
        if (!message) {
          if (outlet.sessionId === undefined) return
          continue // this session is drained; others may not be
        }
        this.#rotation++
        outlet.deliver(message, this)
        delivered = true
      }
      if (!delivered) return
    }
  }

  /** Locks a message for a peek-lock receiver; the lock's expiry counts as an abandon. */
  lock(message: StoredMessage): Lock {
    return this.#locks.lock(message)
  }

  renew(token: string): number {
    return this.#locks.renew(token)
  }

  complete(token: string): void {
    const message = this.#locks.locked(token)
    this.#locks.unlock(message)
    this.#remove(message)
  }

  abandon(token: string, propertiesToModify: Record<string, unknown> | undefined): void {
    const message = this.#locks.locked(token)
    modifyProperties(message, propertiesToModify)
    this.#locks.unlock(message)
    this.#release(message)
  }

  defer(token: string, propertiesToModify: Record<string, unknown> | undefined): void {
    const message = this.#locks.locked(token)
    modifyProperties(message, propertiesToModify)
    this.#locks.unlock(message)
    message.state = 'deferred'
  }

  deadLetter(
    token: string,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify: Record<string, unknown> | undefined,
  ): void {
    const message = this.#locks.locked(token)
    this.#locks.unlock(message)
    this.#moveToDeadLetter(message, reason, description, propertiesToModify)
  }

  /** A message whose lock ended without a settlement: back in line, or dead-lettered at the limit. */
  #release(message: StoredMessage): void {
    if (!this.isDeadLetterQueue && message.deliveries >= this.properties.maxDeliveryCount) {
      this.#moveToDeadLetter(
        message,
        'MaxDeliveryCountExceeded',
        `Message could not be consumed after ${this.properties.maxDeliveryCount} delivery attempts.`,
        undefined,
      )
      return
    }
    if (message.state === 'deferred') return
    if (message.expiresAt <= Date.now()) this.#expire(message)
    else this.#makeReady(message)
  }

  #expire(message: StoredMessage): void {
    if (this.properties.deadLetteringOnMessageExpiration && !this.isDeadLetterQueue) {
      this.#moveToDeadLetter(
        message,
        'TTLExpiredException',
        'The message expired and was dead lettered.',
        undefined,
      )
    } else {
      this.#remove(message)
    }
  }

  #moveToDeadLetter(
    message: StoredMessage,
    reason: string | undefined,
    description: string | undefined,
    propertiesToModify: Record<string, unknown> | undefined,
  ): void {
    const target = this.deadLetterQueue
    this.#remove(message)
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
      this.#host.forward(forward, dead)
      return
    }
    target.add(dead, undefined)
  }

  #remove(message: StoredMessage): void {
    this.#locks.unlock(message)
    clearTimeout(message.scheduleTimer)
    this.messages.delete(message.seq)
  }

  /** Moves messages whose time to live ran out; the host calls this about once a second. */
  sweepExpired(now: number): void {
    if (this.#nextExpiry > now) return
    let next = Number.POSITIVE_INFINITY
    for (const message of [...this.messages.values()]) {
      if (message.expiresAt <= now && !message.lock && message.state !== 'scheduled') this.#expire(message)
      else if (message.expiresAt < next) next = message.expiresAt
    }
    this.#nextExpiry = next
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
        this.#remove(message)
        return { message, lock: undefined }
      }
      this.#locks.unlock(message)
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
    this.#locks.clear()
    this.#ready = seqHeap()
    this.#queued.clear()
    this.sessions?.clear()
    this.deadLetterQueue?.clear()
  }
}
