import type { Clock } from '../contract.js'
import { processClock } from './clock.js'

/**
 * Keys that fall due one period after they were added, on one timer for all of them. Every key
 * shares the same period, so due times only grow in insertion order: a Map keeps them sorted for
 * free, removal is O(1), and the timer is armed for the head only. This is what lets a consumer
 * renew thousands of leases without a timer per message.
 */
export class DueList<K> {
  readonly #clock: Clock
  readonly #periodMs: number
  readonly #onDue: (key: K) => void
  readonly #due = new Map<K, number>()
  #timer: unknown

  constructor(periodMs: number, onDue: (key: K) => void, clock: Clock = processClock) {
    this.#clock = clock
    this.#periodMs = periodMs
    this.#onDue = onDue
  }

  get size(): number {
    return this.#due.size
  }

  has(key: K): boolean {
    return this.#due.has(key)
  }

  /** (Re)schedules `key` one period from now; re-adding moves it to the back. */
  add(key: K): void {
    this.#due.delete(key)
    this.#due.set(key, this.#clock.now() + this.#periodMs)
    if (this.#timer === undefined) this.#arm()
  }

  delete(key: K): void {
    // The timer stays armed for a head that may be gone: it then wakes once, finds nothing due and
    // re-arms for the new head. Cheaper than re-arming on every removal.
    this.#due.delete(key)
  }

  /** Forgets every key and stops the timer: nothing of this list keeps the event loop alive. */
  clear(): void {
    this.#due.clear()
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #arm(): void {
    const head = this.#due.values().next()
    if (head.done) return
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, head.value - this.#clock.now()))
  }

  #fire(): void {
    this.#timer = undefined
    const now = this.#clock.now()
    const due: K[] = []
    for (const [key, at] of this.#due) {
      if (at > now) break
      due.push(key)
    }
    for (const key of due) this.#due.delete(key)
    for (const key of due) this.#onDue(key)
    if (this.#timer === undefined) this.#arm()
  }
}
