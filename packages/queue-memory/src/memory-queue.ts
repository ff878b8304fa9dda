import type { OutgoingMessage, PeekedState, QueueStats } from '@anyqueue/queue-core/driver'
import type { Clock } from './clock.js'

/** One stored message. The body stays the encoded text the portable layer handed over. */
export interface StoredMessage {
  id: string
  body: string
  contentType: string | undefined
  attributes: Readonly<Record<string, string>>
  enqueuedAt: number
  /** Deliveries so far; the current lease's receipt handle carries this number. */
  deliveries: number
  /** Epoch ms (on the driver's clock) from which the message may be delivered. */
  visibleAt: number
  /** Until `visibleAt`, the message is under a lease (else it is delayed: a delayed send or nack). */
  leased: boolean
}

/** A message as sent or published at `now`, delivered from `visibleAt` on. */
export function storedMessage(
  id: string,
  message: OutgoingMessage,
  now: number,
  visibleAt: number,
): StoredMessage {
  const { body, contentType, attributes } = message
  return {
    id,
    body,
    contentType,
    attributes: { ...attributes },
    enqueuedAt: now,
    deliveries: 0,
    visibleAt,
    leased: false,
  }
}

/**
 * One queue: messages by sequence number, in send order (a Map keeps insertion order), so a scan
 * from the front is FIFO and a redelivered message keeps its place. Every method is synchronous: a
 * message is leased in the same tick it is picked, so concurrent receives never share one. Scans
 * are linear; the driver is for tests and small workloads, where that is cheaper than an index.
 */
export class MemoryQueue {
  readonly messages = new Map<number, StoredMessage>()
  readonly #waiters = new Set<() => void>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Leases up to `max` visible messages, oldest first. */
  take(max: number, now: number, leaseMs: number): Array<[seq: number, message: StoredMessage]> {
    const taken: Array<[number, StoredMessage]> = []
    for (const [seq, message] of this.messages) {
      if (taken.length >= max) break
      if (message.visibleAt > now) continue
      message.deliveries += 1
      message.visibleAt = now + leaseMs
      message.leased = true
      taken.push([seq, message])
    }
    return taken
  }

  /** Counts by state at `now`: a look, which changes nothing. */
  stats(now: number): Required<Omit<QueueStats, 'deadLetters'>> {
    let visible = 0
    let inFlight = 0
    let oldest = now
    for (const message of this.messages.values()) {
      const state = stateOf(message, now)
      if (state === 'visible') visible++
      else if (state === 'inFlight') inFlight++
      oldest = Math.min(oldest, message.enqueuedAt)
    }
    const delayed = this.messages.size - visible - inFlight
    return { visible, inFlight, active: visible + inFlight, delayed, oldestAgeSeconds: (now - oldest) / 1000 }
  }

  /** The first `max` messages in send order, with their states at `now`: a look, which changes nothing. */
  peek(max: number, now: number): Array<[message: StoredMessage, state: PeekedState]> {
    const shown: Array<[StoredMessage, PeekedState]> = []
    for (const message of this.messages.values()) {
      if (shown.length >= max) break
      shown.push([message, stateOf(message, now)])
    }
    return shown
  }

  /** The message a handle names, if that handle's lease is still the latest one. */
  current(seq: number, deliveries: number): StoredMessage | undefined {
    const message = this.messages.get(seq)
    return message?.deliveries === deliveries ? message : undefined
  }

  /** Ms until the next delayed or leased message becomes visible, or Infinity. */
  nextVisibleIn(now: number): number {
    let soonest = Number.POSITIVE_INFINITY
    for (const message of this.messages.values()) soonest = Math.min(soonest, message.visibleAt - now)
    return Math.max(0, soonest)
  }

  /** Resolves on the next `notify()`, after `ms` on the clock, or on abort — whichever is first. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        this.#clock.clearTimeout(timer)
        this.#waiters.delete(done)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = this.#clock.setTimeout(done, ms)
      this.#waiters.add(done)
      signal?.addEventListener('abort', done, { once: true })
    })
  }

  /** Wakes every waiting receive (a message became visible, or the queue or driver is going away). */
  notify(): void {
    for (const wake of [...this.#waiters]) wake()
  }
}

function stateOf(message: StoredMessage, now: number): PeekedState {
  if (message.visibleAt <= now) return 'visible'
  return message.leased ? 'inFlight' : 'delayed'
}
