import type { Clock } from '../src/driver.js'

/**
 * A clock that moves only when a test says so, for the consumer's parts that take a `Clock`: what
 * falls due when is then exact, however slow the machine. (The in-memory driver's `ManualClock` is
 * the public one; queue-core cannot depend on that package.)
 */
export class TestClock implements Clock {
  #now = 0
  #order = 0
  readonly #timers = new Set<{ at: number; order: number; callback: () => void }>()

  now(): number {
    return this.#now
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const timer = { at: this.#now + Math.max(0, ms), order: this.#order++, callback }
    this.#timers.add(timer)
    return timer
  }

  clearTimeout(timer: unknown): void {
    this.#timers.delete(timer as never)
  }

  get pendingTimers(): number {
    return this.#timers.size
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due on the way at its own instant, and
   * lets the promise callbacks a timer starts (a renewal's answer) run before time moves on.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms
    for (;;) {
      await settle()
      let next: { at: number; order: number; callback: () => void } | undefined
      for (const t of this.#timers)
        if (t.at <= until && (!next || t.at < next.at || (t.at === next.at && t.order < next.order))) next = t
      if (!next) break
      this.#timers.delete(next)
      this.#now = Math.max(this.#now, next.at)
      next.callback()
    }
    this.#now = until
    await settle()
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
