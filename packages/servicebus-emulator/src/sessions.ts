import type TinyQueue from 'tinyqueue'
import { BrokerError, CONDITIONS } from './errors.js'
import { seqHeap } from './stored-message.js'

/** A receiver's hold on one session: only it receives the session's messages until the lock ends. */
export interface SessionLock {
  readonly sessionId: string
  lockedUntil: number
  timer: NodeJS.Timeout
  /** Told when the lock lapses without renewal: Service Bus then detaches the receiver. */
  onLost: () => void
}

/** Someone waiting for any session to become available (`acceptNextSession`). */
type Waiter = (sessionId: string) => boolean

export const sessionLockLost = (sessionId: string) =>
  new BrokerError(
    CONDITIONS.sessionLockLost,
    `The session lock has expired on the session with id ${sessionId}.`,
    410,
  )

/**
 * The sessions of one session-enabled queue or subscription: each session's ready messages in
 * sequence order (per-session FIFO), its lock holder and its state. Service Bus hands a session
 * to one receiver at a time; a lock that is not renewed within the entity's lock duration ends,
 * and the session is offered to the next receiver.
 */
export class Sessions {
  readonly #ready = new Map<string, TinyQueue<number>>()
  readonly #locks = new Map<string, SessionLock>()
  readonly #states = new Map<string, Buffer>()
  readonly #waiters: Waiter[] = []

  readonly #lockDurationMs: number
  readonly #guard: (work: () => void) => void

  constructor(lockDurationMs: number, guard: (work: () => void) => void) {
    this.#lockDurationMs = lockDurationMs
    this.#guard = guard
  }

  /** A message of `sessionId` is ready to be received. */
  push(sessionId: string, seq: number): void {
    let heap = this.#ready.get(sessionId)
    if (!heap) {
      heap = seqHeap()
      this.#ready.set(sessionId, heap)
    }
    heap.push(seq)
    if (!this.#locks.has(sessionId)) this.#offer(sessionId)
  }

  /** The lowest ready sequence number of a session (possibly stale: the caller checks it). */
  pop(sessionId: string): number | undefined {
    const heap = this.#ready.get(sessionId)
    const seq = heap?.pop()
    if (heap && heap.length === 0) this.#ready.delete(sessionId)
    return seq
  }

  /** A session with messages waiting and no receiver holding it. */
  available(): string | undefined {
    for (const [id, heap] of this.#ready) if (heap.length > 0 && !this.#locks.has(id)) return id
    return undefined
  }

  /** Locks a session for one receiver, or refuses as Service Bus does when another holds it. */
  lock(sessionId: string, onLost: () => void): SessionLock {
    const held = this.#locks.get(sessionId)
    if (held && held.lockedUntil > Date.now()) {
      throw new BrokerError(
        CONDITIONS.sessionCannotBeLocked,
        `The requested session '${sessionId}' cannot be accepted. It may be locked by another receiver.`,
        410,
      )
    }
    if (held) this.release(held)
    const lock: SessionLock = {
      sessionId,
      lockedUntil: Date.now() + this.#lockDurationMs,
      timer: setTimeout(() => this.#guard(() => this.#expire(lock)), this.#lockDurationMs),
      onLost,
    }
    lock.timer.unref()
    this.#locks.set(sessionId, lock)
    return lock
  }

  /** Extends a session's lock by the lock duration; the new expiry. */
  renew(sessionId: string): number {
    const lock = this.#locks.get(sessionId)
    if (!lock || lock.lockedUntil <= Date.now()) throw sessionLockLost(sessionId)
    lock.lockedUntil = Date.now() + this.#lockDurationMs
    lock.timer.refresh()
    return lock.lockedUntil
  }

  /** Ends a lock (the receiver closed): the session goes to whoever waits for one. */
  release(lock: SessionLock): void {
    clearTimeout(lock.timer)
    if (this.#locks.get(lock.sessionId) !== lock) return
    this.#locks.delete(lock.sessionId)
    if (this.#ready.get(lock.sessionId)?.length) this.#offer(lock.sessionId)
  }

  #expire(lock: SessionLock): void {
    if (this.#locks.get(lock.sessionId) !== lock) return
    this.release(lock)
    lock.onLost()
  }

  getState(sessionId: string): Buffer | undefined {
    return this.#states.get(sessionId)
  }

  setState(sessionId: string, state: Buffer | undefined): void {
    if (state === undefined || state.length === 0) this.#states.delete(sessionId)
    else this.#states.set(sessionId, state)
  }

  /** Waits for any session to become available; `waiter` returns false if it no longer wants one. */
  wait(waiter: Waiter): () => void {
    this.#waiters.push(waiter)
    return () => {
      const i = this.#waiters.indexOf(waiter)
      if (i >= 0) this.#waiters.splice(i, 1)
    }
  }

  #offer(sessionId: string): void {
    while (this.#waiters.length > 0 && !this.#locks.has(sessionId)) {
      const waiter = this.#waiters.shift()!
      if (waiter(sessionId)) return
    }
  }

  clear(): void {
    for (const lock of this.#locks.values()) clearTimeout(lock.timer)
    this.#locks.clear()
    this.#ready.clear()
    this.#states.clear()
    this.#waiters.length = 0
  }
}
