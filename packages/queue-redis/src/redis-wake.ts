import type { Cluster, Redis } from 'ioredis'

/** A wake-up armed before a receive looks, so a send landing between the look and the wait is not missed. */
export interface Armed {
  /** Resolves on a wake-up of the channel, after `ms`, on `signal`'s abort or on `close()`. */
  wait(ms: number, signal?: AbortSignal): Promise<void>
  /** Stops listening (the receive found messages, or is done). */
  disarm(): void
}

/**
 * Long-poll wake-ups over Redis Pub/Sub: a script that makes a message ready publishes on the
 * queue's channel, and every receive waiting on it in this driver looks again. One subscriber
 * connection per driver, made on the first long poll; a channel stays subscribed until `close()`.
 * A reconnect of the subscriber wakes every waiter, since a publish may have been missed meanwhile.
 */
export class Wakeups {
  readonly #connect: () => Redis | Cluster
  #subscriber: Redis | Cluster | undefined
  readonly #subscribed = new Map<string, Promise<unknown>>()
  readonly #listeners = new Map<string, Set<() => void>>()
  #closed = false
  #close: () => void = () => {}
  readonly #closing = new Promise<void>((resolve) => {
    this.#close = resolve
  })

  constructor(connect: () => Redis | Cluster) {
    this.#connect = connect
  }

  /**
   * Subscribes to `channel` (once) and arms a wake-up on it. An abort of `signal` or `close()` ends
   * the wait for the subscription too (a Cluster subscriber may still be connecting): the armed
   * wake-up then resolves at once.
   */
  async arm(channel: string, signal?: AbortSignal): Promise<Armed> {
    const listeners = this.#listeners.get(channel) ?? new Set()
    this.#listeners.set(channel, listeners)
    let fired = false
    let wake: () => void = () => {}
    const listener = () => {
      fired = true
      wake()
    }
    listeners.add(listener)
    const disarm = () => listeners.delete(listener)
    let onAbort: (() => void) | undefined
    const aborted = new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      onAbort = () => resolve()
      signal?.addEventListener('abort', onAbort, { once: true })
    })
    try {
      await Promise.race([this.#subscribe(channel), this.#closing, aborted])
    } catch (error) {
      disarm()
      throw error
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort)
    }
    return {
      disarm,
      wait: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (fired || this.#closed || signal?.aborted) return resolve()
          const done = () => {
            clearTimeout(timer)
            signal?.removeEventListener('abort', done)
            resolve()
          }
          const timer = setTimeout(done, ms)
          wake = done
          signal?.addEventListener('abort', done, { once: true })
        }),
    }
  }

  /** Wakes every waiter and quits the subscriber connection. */
  async close(): Promise<void> {
    this.#closed = true
    this.#close()
    this.#wakeAll()
    const subscriber = this.#subscriber
    this.#subscriber = undefined
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect())
  }

  #subscribe(channel: string): Promise<unknown> {
    let subscribed = this.#subscribed.get(channel)
    if (!subscribed) {
      subscribed = this.#connection().subscribe(channel)
      subscribed.catch(() => this.#subscribed.delete(channel))
      this.#subscribed.set(channel, subscribed)
    }
    return subscribed
  }

  #connection(): Redis | Cluster {
    if (!this.#subscriber) {
      const subscriber = this.#connect()
      subscriber.on('message', (channel: string) => {
        for (const listener of [...(this.#listeners.get(channel) ?? [])]) listener()
      })
      subscriber.on('ready', () => this.#wakeAll())
      subscriber.on('error', () => {}) // reconnects on its own; a waiter's timer bounds its wait
      this.#subscriber = subscriber
    }
    return this.#subscriber
  }

  #wakeAll(): void {
    for (const listeners of this.#listeners.values()) for (const listener of [...listeners]) listener()
  }
}
