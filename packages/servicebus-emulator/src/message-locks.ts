import { newLockToken } from './amqp.js'
import type { EntityProperties } from './config.js'
import { lockLost } from './errors.js'
import type { Lock, StoredMessage } from './stored-message.js'

/**
 * The peek-locks one entity has handed out, by lock token. A lock lasts the entity's lock duration
 * (read at each lock and renewal: the management API may change it) unless renewed; one that runs
 * out ends as an abandon would, through `onLapse`.
 */
export class MessageLocks {
  readonly #held = new Map<string, StoredMessage>()

  readonly #properties: EntityProperties
  /** Runs timer work, reporting what it throws (a timer has no caller to throw to). */
  readonly #guard: (work: () => void) => void
  /** A lock ran out: the message is back with its entity, to deliver again or dead-letter. */
  readonly #onLapse: (message: StoredMessage) => void

  constructor(
    properties: EntityProperties,
    guard: (work: () => void) => void,
    onLapse: (message: StoredMessage) => void,
  ) {
    this.#properties = properties
    this.#guard = guard
    this.#onLapse = onLapse
  }

  /** Locks a message for a peek-lock receiver. */
  lock(message: StoredMessage): Lock {
    const token = newLockToken()
    const lock: Lock = {
      token,
      lockedUntil: Date.now() + this.#properties.lockDurationMs,
      timer: setTimeout(
        () => this.#guard(() => this.#lapse(message, token)),
        this.#properties.lockDurationMs,
      ),
    }
    lock.timer.unref()
    message.lock = lock
    this.#held.set(token, message)
    return lock
  }

  /** Ends a message's lock, if it has one: settled, or (`expired`) run out. */
  unlock(message: StoredMessage, expired = false): void {
    const lock = message.lock
    if (!lock) return
    clearTimeout(lock.timer)
    this.#held.delete(lock.token)
    message.lock = undefined
    lock.onEnd?.(expired)
  }

  /** The message a lock token refers to, while the lock is held; else lock-lost. */
  locked(token: string): StoredMessage {
    const message = this.#held.get(token)
    if (!message?.lock || message.lock.lockedUntil <= Date.now()) {
      if (message) this.#lapse(message, token)
      throw lockLost()
    }
    return message
  }

  /** Restarts a held lock's duration from now; returns its new end. */
  renew(token: string): number {
    const lock = this.locked(token).lock!
    lock.lockedUntil = Date.now() + this.#properties.lockDurationMs
    lock.timer.refresh()
    return lock.lockedUntil
  }

  /** Forgets every lock; their messages' timers are the entity's to clear. */
  clear(): void {
    this.#held.clear()
  }

  #lapse(message: StoredMessage, token: string): void {
    if (message.lock?.token !== token) return
    this.unlock(message, true)
    this.#onLapse(message)
  }
}
