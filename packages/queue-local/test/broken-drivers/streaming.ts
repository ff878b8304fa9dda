/**
 * The streaming receive path (issue 26): the real local driver given a `streaming` path built on its
 * own `receiveBatch` (`pollingStream`), then broken in one way each. The control (nothing broken)
 * must pass every consumer case; each broken stream must fail the case of the promise it breaks.
 */
import type {
  DeliveryStream,
  IncomingMessage,
  QueueDriver,
  StreamingReceiver,
  StreamRequest,
} from '@anyqueue/queue-core/driver'
import { sleep } from '@anyqueue/queue-core/driver'
import type { LocalDriver } from '../../src/index.js'
import { type BrokenDriver, entry } from './wrap.js'

export interface PollingStreamOptions {
  /** Applied to each delivered message: a broken stream alters what it hands over. */
  map?: (message: IncomingMessage) => IncomingMessage
  /** Called after each delivery was handed over (a broken stream "reconnects" there). */
  delivered?: (messages: readonly IncomingMessage[]) => void
}

/**
 * A `StreamingReceiver` over a driver's `receiveBatch`: long polls while there is credit, hands each
 * batch to `deliver`, waits for `release` when there is none. `close()` ends the poll at once and
 * hands back what a poll cut short by it returned.
 */
export function pollingStream(driver: QueueDriver, options: PollingStreamOptions = {}): StreamingReceiver {
  return {
    open(queue: string, request: StreamRequest): DeliveryStream {
      let credit = request.maxOutstanding
      const stopping = new AbortController()
      let wake: (() => void) | undefined
      const loop = (async () => {
        while (!stopping.signal.aborted) {
          if (credit <= 0) {
            await new Promise<void>((resolve) => {
              wake = resolve
            })
            continue
          }
          let got: IncomingMessage[]
          try {
            got = await driver.receiveBatch(queue, {
              maxMessages: Math.min(credit, driver.capabilities.maxBatch),
              waitSeconds: 1,
              signal: stopping.signal,
            })
          } catch (error) {
            if (stopping.signal.aborted) break
            request.onError(error)
            await sleep(200, stopping.signal)
            continue
          }
          if (stopping.signal.aborted) {
            await Promise.all(got.map((m) => driver.nack(queue, m.receiptHandle, 0).catch(() => {})))
            break
          }
          if (got.length === 0) continue
          credit -= got.length
          request.deliver(options.map ? got.map(options.map) : got)
          options.delivered?.(got)
        }
      })()
      return {
        release(count) {
          credit += count
          wake?.()
          wake = undefined
        },
        async close() {
          stopping.abort()
          wake?.()
          await loop
        },
      }
    },
  }
}

/** The patch that gives the local driver its streaming path; `extra` breaks it. */
export function streamingOver(
  real: LocalDriver,
  options: PollingStreamOptions = {},
  extra: Partial<QueueDriver> = {},
): Partial<QueueDriver> {
  const capabilities = Object.freeze({ ...real.capabilities, streaming: true })
  return { capabilities, streaming: pollingStream(real, options), ...extra }
}

export const streamingDrivers: BrokenDriver[] = [
  // Acks ride on the stream that delivered the message and are dropped once it is gone: this one
  // "reconnects" after every delivery, so every ack of the consumer is lost, though it resolves.
  entry('stream-ack-lost-on-reconnect', 'consumer.success-acks', (real) => {
    let generation = 0
    const deliveredIn = new Map<string, number>()
    return streamingOver(
      real,
      {
        delivered: (messages) => {
          for (const m of messages) deliveredIn.set(m.receiptHandle, generation)
          generation++
        },
      },
      {
        async ackBatch(queue, handles) {
          const live = handles.filter((h) => (deliveredIn.get(h) ?? generation) === generation)
          if (live.length > 0) await real.ackBatch(queue, live)
        },
      },
    )
  }),
  // Lease extensions of streamed messages are never sent (resolved, not sent): a slow handler's
  // message comes back to another handler while it still runs.
  entry('stream-lease-extension-dropped', 'consumer.renews-slow-handler', (real) => {
    const streamed = new Set<string>()
    return streamingOver(
      real,
      {
        delivered: (messages) => {
          for (const m of messages) streamed.add(m.receiptHandle)
        },
      },
      {
        async renewLease(queue, handle) {
          if (!streamed.has(handle)) await real.renewLease(queue, handle)
        },
      },
    )
  }),
  // The stream reports every delivery as the first (Pub/Sub without a dead-letter policy reports
  // no deliveryAttempt): a message that always fails is never dead-lettered.
  entry('stream-attempt-not-counted', 'consumer.max-attempts-dead-letter', (real) =>
    streamingOver(real, { map: (m) => ({ ...m, attempt: 1 }) }),
  ),
]
