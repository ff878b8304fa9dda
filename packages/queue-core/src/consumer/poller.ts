import type { Clock } from '../contract.js'
import { isQueueError } from '../errors.js'
import { LIMITS } from '../limits.js'
import type { Message, Queue } from '../queue.js'
import { backoffDelay } from '../retry.js'
import { processClock, sleepOn } from './clock.js'
import type { SlotGate } from './slot-gate.js'

/** Longest stretch a poller runs without yielding to the event loop. */
const YIELD_EVERY_MS = 5

export interface PollerOptions<T> {
  queue: Queue<T>
  slots: SlotGate
  waitSeconds: number
  /** Ends the loop; also cuts a pending long poll short. */
  signal: AbortSignal
  /** Takes the messages of one receive, with a slot already taken for each. */
  deliver: (messages: Message<T>[]) => void
  /** A received message the consumer cannot start because it is stopping. */
  release: (message: Message<T>) => void
  onError: (error: unknown) => void
  /** The queue or its client was closed under the consumer: receiving can never work again. */
  onClosed: () => void
  /** The clock of the pause after an empty or failed receive; default the process's. */
  clock?: Clock
}

/**
 * One receive loop: take free slots for a receive (see SlotGate for how many), receive that many,
 * hand the messages over, give back the slots the receive did not fill. Waits while no slot is
 * free; backs off after a failed receive; never spins on an empty queue; ends when `signal` aborts
 * or the queue was closed.
 */
export async function poll<T>(options: PollerOptions<T>): Promise<void> {
  const { queue, slots, waitSeconds, signal } = options
  const clock = options.clock ?? processClock
  let failures = 0
  let lastYield = performance.now()
  while (!signal.aborted) {
    const want = slots.takeForReceive(LIMITS.maxBatch)
    if (want === 0) {
      await slots.wait()
      continue
    }
    let batch: Message<T>[] = []
    const polledAt = clock.now()
    try {
      batch = await queue.receive({ maxMessages: want, waitSeconds, signal })
      failures = 0
    } catch (error) {
      options.onError(error)
      slots.received(want)
      if (isQueueError(error, 'CLOSED')) return options.onClosed()
      await sleepOn(clock, backoffDelay(failures++, 200, 10_000) + 100, signal)
      continue
    }
    slots.received(want - batch.length)
    if (signal.aborted) {
      // Received as we stopped: never started, so they go straight back.
      slots.release(batch.length)
      for (const message of batch) options.release(message)
    } else if (batch.length > 0) options.deliver(batch)
    // An empty answer that came back at once (waitSeconds 0, or a driver that cannot long-poll):
    // pause briefly instead of spinning.
    if (batch.length === 0 && clock.now() - polledAt < 100) {
      await sleepOn(clock, 100, signal)
      lastYield = performance.now()
    } else if (performance.now() - lastYield > YIELD_EVERY_MS) {
      // A driver that answers without I/O would otherwise starve timers (lease renewals, time
      // limits). Yielding every round would cost a turn of the event loop per batch; every few
      // milliseconds costs nothing measurable and starves nothing.
      await new Promise((resolve) => setImmediate(resolve))
      lastYield = performance.now()
    }
  }
}
