import type { Clock } from './contract.js'
import { QueueError } from './errors.js'

interface ManualTimer {
  at: number
  order: number
  callback: () => void
}

/**
 * A clock that only moves when told to: `await clock.advance(60_000)` runs, in time order, every
 * timer due within the next minute, letting the promises each one settles run before the next.
 * A consumer's retries with backoff, lease expiries and delayed sends then take no real time.
 * The in-memory driver takes one (`createMemoryDriver({ clock })`; `@anyqueue/queue-memory`
 * re-exports it); any driver that runs on its own time can expose one as `QueueDriver.clock`.
 */
export class ManualClock implements Clock {
  #now: number
  #order = 0
  readonly #timers = new Set<ManualTimer>()

  /** Starts at `start` epoch ms; default the real time now, so dates look plausible in logs. */
  constructor(start: number = Date.now()) {
    if (typeof start !== 'number' || !Number.isFinite(start)) {
      throw new QueueError(
        'INVALID_ARGUMENT',
        `ManualClock start must be a finite number of epoch ms, got ${String(start)}`,
        {
          field: 'start',
        },
      )
    }
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer: ManualTimer = { at: this.#now + Math.max(0, ms), order: this.#order++, callback }
    this.#timers.add(timer)
    return timer
  }

  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as ManualTimer)
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.size
  }

  /**
   * Moves the time forward by `ms`, firing each timer that falls due on the way at its own
   * instant. Between timers, and once at the end, it yields to the event loop so the work a timer
   * starts (a receive returning, a handler running, a nack) happens before time moves on.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance needs a finite ms >= 0, got ${ms}`)
    const until = this.#now + ms
    for (;;) {
      await settle()
      const next = this.#nextDue(until)
      if (!next) break
      this.#timers.delete(next)
      this.#now = Math.max(this.#now, next.at)
      next.callback()
    }
    this.#now = until
    await settle()
  }

  /**
   * Moves the time forward from timer to timer, each at its own instant as `advance` does, until no
   * timer is left; resolves with how far the clock moved. A timer that would fall due more than
   * `limitMs` (default a minute) from now stops it with an error that says what is still pending:
   * something keeps scheduling (a running consumer polls for ever, a receive waits out its long
   * poll), so there is no idle to reach. Stop or close that first, or use `runUntil`.
   */
  async runUntilIdle(options: { limitMs?: number } = {}): Promise<number> {
    return this.#run(() => this.#timers.size === 0, options.limitMs, 'timers are still pending')
  }

  /**
   * Moves the time forward from timer to timer until `condition()` holds (checked before each timer
   * and once the work a timer started has run); resolves with how far the clock moved. If it still
   * does not hold once no timer is left, or the next timer is more than `limitMs` (default a minute)
   * away, it fails with an error saying so — never a test that hangs without a hint. A condition
   * that waits on work done with real timers (a handler that sleeps with `setTimeout`) cannot be met
   * this way: see the README.
   */
  async runUntil(condition: () => boolean, options: { limitMs?: number } = {}): Promise<number> {
    return this.#run(condition, options.limitMs, 'the condition does not hold')
  }

  async #run(done: () => boolean, limitMs = 60_000, failure: string): Promise<number> {
    if (!Number.isFinite(limitMs) || limitMs < 0) {
      throw new RangeError(`limitMs must be a finite number >= 0, got ${limitMs}`)
    }
    const start = this.#now
    const until = start + limitMs
    for (;;) {
      await settle()
      if (done()) return this.#now - start
      const next = this.#nextDue(Number.POSITIVE_INFINITY)
      if (!next || next.at > until) {
        const pending = this.#timers.size
        const why = next
          ? `the next of ${pending} pending timer(s) is due ${next.at - start} ms after the start, past the limit`
          : 'no timer is pending, so moving the clock cannot change anything'
        throw new Error(
          `ManualClock: advanced ${this.#now - start} ms (limitMs ${limitMs}) and ${failure}: ${why}. ` +
            'A running consumer or a pending long poll (receive waits 20 s by default; pass waitSeconds: 0) keeps timers pending; ' +
            'work done on real timers (setTimeout in a handler) does not run while this clock moves.',
        )
      }
      this.#timers.delete(next)
      this.#now = Math.max(this.#now, next.at)
      next.callback()
    }
  }

  #nextDue(until: number): ManualTimer | undefined {
    let next: ManualTimer | undefined
    for (const timer of this.#timers) {
      if (timer.at > until) continue
      if (!next || timer.at < next.at || (timer.at === next.at && timer.order < next.order)) next = timer
    }
    return next
  }
}

/** Lets pending promise callbacks and I/O callbacks run: one macrotask turn, twice. */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
