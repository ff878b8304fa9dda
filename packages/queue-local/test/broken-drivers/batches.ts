/** Receive batch sizes (issue 20): each the real local driver returning the wrong number. */
import type { Capabilities, IncomingMessage } from '@anyqueue/queue-core/driver'
import { type BrokenDriver, entry } from './wrap.js'

export const batchDrivers: BrokenDriver[] = [
  // One more than asked for a full batch of 10 (the existing one-more driver spares 10; this one
  // only errs there: `<= 10` where `< 10` was meant).
  entry('receive-returns-11-for-10', 'delivery.receive-takes-a-batch', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      if (request.maxMessages !== 10 || got.length < 10) return got
      const more: IncomingMessage[] = await real.receiveBatch(queue, {
        ...request,
        maxMessages: 1,
        waitSeconds: 0,
      })
      return [...got, ...more]
    },
  })),
  // One message per receive, whatever was asked (a backend call that takes no count).
  entry('receive-one-at-a-time', 'delivery.receive-takes-a-batch', (real) => ({
    receiveBatch: (queue, request) => real.receiveBatch(queue, { ...request, maxMessages: 1 }),
  })),
  // Declares maxBatch 5, but a receive returns the backend's full page of 10 whatever it was asked.
  entry('receive-ignores-its-own-max-batch', 'delivery.receive-takes-a-batch', (real) => ({
    get capabilities(): Capabilities {
      return { ...real.capabilities, maxBatch: 5 }
    },
    receiveBatch: (queue, request) => real.receiveBatch(queue, { ...request, maxMessages: 10 }),
  })),
  // A full batch holds one message twice (a page boundary read twice), one fewer distinct.
  entry('receive-repeats-a-message-in-a-full-batch', 'delivery.at-most-max-messages', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      return got.length >= 2 && got.length === request.maxMessages ? [...got.slice(0, -1), got[0]!] : got
    },
  })),
]
