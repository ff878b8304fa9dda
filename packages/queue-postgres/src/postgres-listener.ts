import type { Pool, PoolClient } from 'pg'

/** How long a waiting receive trusts the listener before it looks again anyway. */
const LISTENING_RECHECK_MS = 2_000

/**
 * Wakes waiting receives: one pooled connection `LISTEN`s on the driver's channel, where every send,
 * publish, nack and delete notifies with the queue's name. Notifications are hints only — a waiter
 * always looks again in SQL — so one lost is at worst a delay: while the connection is down every
 * waiter polls every `pollMs`, and when it is back every waiter is woken, since notifications sent
 * in between are gone for good (PostgreSQL keeps none for a session that was not listening).
 */
export class Listener {
  readonly #pool: Pool
  readonly #channel: string
  readonly #pollMs: number
  readonly #enabled: boolean
  readonly #waiters = new Map<string, Set<() => void>>()
  #client: PoolClient | undefined
  #connecting: Promise<void> | undefined
  #retry: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: { pool: Pool; channel: string; pollMs: number; enabled: boolean }) {
    this.#pool = options.pool
    this.#channel = options.channel
    this.#pollMs = options.pollMs
    this.#enabled = options.enabled
  }

  /** Whether a notification can wake a waiter now (tests and the kill tables read it). */
  get listening(): boolean {
    return this.#client !== undefined
  }

  /**
   * Resolves on a notification for `queue`, after `ms`, on abort, or when the listener
   * (re)connects — whichever is first; never rejects. Capped at the poll interval while not listening.
   */
  async wait(queue: string, ms: number, signal?: AbortSignal): Promise<void> {
    // Not awaited: until LISTEN holds, the waiter polls, and the connect wakes every waiter anyway.
    if (this.#enabled && !this.#closed) this.#connect().catch(() => this.#scheduleRetry())
    const cap = this.listening ? LISTENING_RECHECK_MS : this.#pollMs
    const delay = Math.max(0, Math.min(ms, cap))
    await new Promise<void>((resolve) => {
      if (signal?.aborted || this.#closed) return resolve()
      const waiters = this.#waiters.get(queue) ?? new Set()
      this.#waiters.set(queue, waiters)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(done)
        if (waiters.size === 0 && this.#waiters.get(queue) === waiters) this.#waiters.delete(queue)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, delay)
      waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** Wakes the waiters of `queue` (the driver's own sends need no round trip through the server). */
  wake(queue: string): void {
    for (const done of [...(this.#waiters.get(queue) ?? [])]) done()
  }

  wakeAll(): void {
    for (const queue of [...this.#waiters.keys()]) this.wake(queue)
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#retry)
    await this.#connecting?.catch(() => {})
    const client = this.#client
    this.#client = undefined
    this.wakeAll()
    if (client) {
      await client.query(`UNLISTEN "${this.#channel}"`).catch(() => {})
      client.release()
    }
  }

  #connect(): Promise<void> {
    if (this.#client || this.#closed) return Promise.resolve()
    this.#connecting ??= (async () => {
      const client = await this.#pool.connect()
      const lost = (error?: Error) => {
        if (this.#client !== client) return
        this.#client = undefined
        client.release(error ?? new Error('listener connection ended'))
        this.#scheduleRetry()
      }
      client.on('error', lost)
      client.on('end', () => lost())
      client.on('notification', (n) => {
        if (n.channel === this.#channel && n.payload !== undefined) this.wake(n.payload)
      })
      try {
        await client.query(`LISTEN "${this.#channel}"`)
      } catch (error) {
        client.release(error as Error)
        throw error
      }
      if (this.#closed) {
        client.release()
        return
      }
      this.#client = client
      // Whatever was notified while no one listened is lost: every waiter looks again now.
      this.wakeAll()
    })().finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry) return
    this.#retry = setTimeout(() => {
      this.#retry = undefined
      if (this.#waiters.size > 0) this.#connect().catch(() => this.#scheduleRetry())
    }, this.#pollMs)
    this.#retry.unref()
  }
}
