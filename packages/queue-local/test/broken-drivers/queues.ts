import type { Capabilities, IncomingMessage, QueueDriver } from '@anyqueue/queue-core/driver'
import { QueueError } from '@anyqueue/queue-core/driver'
import type { LocalDriver } from '../../src/index.js'
import { type BrokenDriver, entry } from './wrap.js'

/**
 * A driver over a backend that throws its own errors, as SQS or Service Bus do: the local driver's
 * QUEUE_NOT_FOUND becomes a raw `QueueDoesNotExist`, and the first receive on each queue fails with a
 * raw connection reset (a pooled connection gone stale). `classify` maps them back; given
 * `correctClassify` the driver passes everything its control runs.
 */
function backendErrors(real: LocalDriver, classify: (error: unknown) => QueueError | undefined) {
  const warmed = new Set<string>()
  const raw = async <R>(call: () => Promise<R>): Promise<R> => {
    try {
      return await call()
    } catch (error) {
      if (QueueError.isInstance(error) && error.code === 'QUEUE_NOT_FOUND') {
        throw Object.assign(new Error('The specified queue does not exist.'), { name: 'QueueDoesNotExist' })
      }
      throw error
    }
  }
  return {
    sendBatch: (queue, messages) => raw(() => real.sendBatch(queue, messages)),
    async receiveBatch(queue, request) {
      if (!warmed.has(queue)) {
        warmed.add(queue)
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
      }
      return raw(() => real.receiveBatch(queue, request))
    },
    ackBatch: (queue, handles) => raw(() => real.ackBatch(queue, handles)),
    nack: (queue, handle, delaySeconds) => raw(() => real.nack(queue, handle, delaySeconds)),
    renewLease: (queue, handle) => raw(() => real.renewLease(queue, handle)),
    classifyError: classify,
  } satisfies Partial<QueueDriver>
}

const codeOf = (error: unknown) => (error as { code?: unknown; name?: unknown } | undefined) ?? {}

/** What a correct driver over that backend says. */
function correctClassify(real: LocalDriver, error: unknown): QueueError | undefined {
  const { code, name } = codeOf(error)
  if (name === 'QueueDoesNotExist')
    return new QueueError('QUEUE_NOT_FOUND', 'no such queue', { cause: error })
  if (code === 'ECONNRESET') return new QueueError('UNAVAILABLE', 'connection reset', { cause: error })
  return real.classifyError(error)
}

/** The cases the backend-error drivers are judged on; their control must pass every one. */
export const backendErrorCases = [
  'lifecycle.missing-queue',
  'lifecycle.delete-idempotent',
  'lease.hidden',
  'retry.retryable-is-retried',
  'retry.non-retryable-fails-at-once',
  'retry.bounded',
]

/** The correct driver over the erroring backend: it must pass `backendErrorCases`. */
export const backendErrorsControl = entry('control-backend-errors', backendErrorCases, (real) =>
  backendErrors(real, (error) => correctClassify(real, error)),
)

/** A manifest that changes once `after` was called. */
function flipping(
  real: LocalDriver,
  after: Exclude<keyof QueueDriver, 'listQueues' | 'clock' | 'stats' | 'peek'>,
  change: Partial<Capabilities>,
) {
  let called = false
  const method = real[after] as (...args: unknown[]) => Promise<unknown>
  return {
    get capabilities(): Capabilities {
      return called ? { ...real.capabilities, ...change } : real.capabilities
    },
    [after]: (...args: unknown[]) => {
      called = true
      return method.apply(real, args)
    },
  } as Partial<QueueDriver>
}

export const queueDrivers: BrokenDriver[] = [
  // Lifecycle: deleteQueue only hides the queue; created again, it still holds the old messages.
  entry(
    'delete-keeps-the-messages',
    'lifecycle.recreated-is-new',
    (real) => {
      const deleted = new Set<string>()
      const check = (queue: string) => {
        if (deleted.has(queue)) throw new QueueError('QUEUE_NOT_FOUND', `queue "${queue}" was deleted`)
      }
      const guard =
        <A extends unknown[], R>(call: (queue: string, ...args: A) => Promise<R>) =>
        async (queue: string, ...args: A) => {
          check(queue)
          return call.call(real, queue, ...args)
        }
      return {
        async deleteQueue(queue) {
          deleted.add(queue)
        },
        async createQueue(queue) {
          deleted.delete(queue)
          await real.createQueue(queue)
        },
        sendBatch: guard(real.sendBatch),
        receiveBatch: guard(real.receiveBatch),
        ackBatch: guard(real.ackBatch),
        nack: guard(real.nack),
        renewLease: guard(real.renewLease),
      }
    },
    // The case also fails on the real driver today (old handles act on new messages): only the
    // leftover messages are this driver's doing.
    { reason: /still held/ },
  ),
  // Lifecycle: createQueue on an existing queue starts it afresh.
  entry('create-wipes-an-existing-queue', 'lifecycle.create-keeps-messages', (real) => ({
    async createQueue(queue) {
      await real.deleteQueue(queue)
      await real.createQueue(queue)
    },
  })),
  // Lifecycle: deleteQueue empties the queue but leaves it in place.
  entry('delete-leaves-an-empty-queue', 'lifecycle.delete-idempotent', (real) => ({
    async deleteQueue(queue) {
      await real.deleteQueue(queue)
      await real.createQueue(queue)
    },
  })),
  // Lifecycle: deleting a queue that is gone fails instead of being a no-op.
  entry('delete-of-a-missing-queue-throws', 'lifecycle.delete-idempotent', (real) => {
    const deleted = new Set<string>()
    return {
      async deleteQueue(queue) {
        if (deleted.has(queue)) throw new QueueError('QUEUE_NOT_FOUND', `queue "${queue}" does not exist`)
        deleted.add(queue)
        await real.deleteQueue(queue)
      },
      async createQueue(queue) {
        deleted.delete(queue)
        await real.createQueue(queue)
      },
    }
  }),
  // Lifecycle: createQueue on an existing queue fails ("already exists") instead of being a no-op.
  entry('create-of-an-existing-queue-throws', 'lifecycle.create-keeps-messages', (real) => {
    const created = new Set<string>()
    return {
      async createQueue(queue) {
        if (created.has(queue)) throw new QueueError('INVALID_ARGUMENT', `queue "${queue}" already exists`)
        created.add(queue)
        await real.createQueue(queue)
      },
      async deleteQueue(queue) {
        created.delete(queue)
        await real.deleteQueue(queue)
      },
    }
  }),
  // Lifecycle: a missing queue is created on first use instead of failing with QUEUE_NOT_FOUND.
  entry('missing-queue-auto-created', 'lifecycle.missing-queue', () => ({}), {
    options: { createIfMissing: true },
  }),
  // Lifecycle: close resolves without closing the store, so the next open of it finds it locked.
  entry('close-never-releases-the-store', 'delivery.persistence', () => ({
    close: async () => {},
  })),

  // Capabilities: fifo flips to false after the first ack (a manifest computed from live state).
  entry('capabilities-change-after-the-first-ack', 'ack.for-good', (real) =>
    flipping(real, 'ackBatch', { fifo: false }),
  ),
  // Capabilities: maxBatch changes once a queue was deleted.
  entry('capabilities-change-after-delete-queue', 'lifecycle.delete-idempotent', (real) =>
    flipping(real, 'deleteQueue', { maxBatch: 1 }),
  ),
  // Capabilities: renewLease flips after a nack.
  entry('capabilities-change-after-a-nack', 'nack.returns-early', (real) =>
    flipping(real, 'nack', { renewLease: false }),
  ),
  // Capabilities: a field missing (an older manifest without staleHandles).
  entry('capabilities-without-stale-handles', 'capabilities.explicit', (real) => {
    const { staleHandles: _, ...older } = real.capabilities
    return { capabilities: older as Capabilities }
  }),
  // Capabilities: a field missing (a manifest from before untypedBody).
  entry('capabilities-without-untyped-body', 'capabilities.explicit', (real) => {
    const { untypedBody: _, ...older } = real.capabilities
    return { capabilities: older as Capabilities }
  }),
  // Capabilities: maxBatch 11.
  entry('capabilities-max-batch-11', 'capabilities.explicit', (real) => ({
    capabilities: { ...real.capabilities, maxBatch: 11 },
  })),
  // Capabilities: a minimum lease above the lease the driver was configured with.
  entry('capabilities-min-lease-above-the-lease', 'capabilities.explicit', (real) => ({
    capabilities: { ...real.capabilities, minLeaseSeconds: 5 },
  })),

  // Handles: anything accepted (the existing one).
  entry('accepts-any-handle', 'arguments.garbage-handle', () => ({ isReceiptHandle: () => true })),
  // Handles: the empty string accepted (the format check skipped when there is nothing to check).
  entry('accepts-the-empty-handle', 'arguments.garbage-handle', (real) => ({
    isReceiptHandle: (handle) => handle === '' || real.isReceiptHandle(handle),
  })),

  // Errors: a connection reset classified as non-retryable UNAVAILABLE, so one stale connection
  // fails the call instead of being retried.
  entry('classifies-connection-reset-as-non-retryable', 'lease.hidden', (real) =>
    backendErrors(real, (error) => {
      const classified = correctClassify(real, error)
      return classified?.code === 'UNAVAILABLE'
        ? new QueueError('UNAVAILABLE', classified.message, { cause: error, retryable: false })
        : classified
    }),
  ),
  // Errors: every backend error classified as UNAVAILABLE, QueueDoesNotExist included.
  entry('classifies-everything-as-unavailable', 'lifecycle.missing-queue', (real) =>
    backendErrors(
      real,
      (error) =>
        correctClassify(real, error) && new QueueError('UNAVAILABLE', String(error), { cause: error }),
    ),
  ),
  // Errors: every error retryable, QUEUE_NOT_FOUND too: a missing queue is tried four times.
  entry('classifies-everything-as-retryable', 'lifecycle.missing-queue', (real) =>
    backendErrors(real, (error) => {
      const classified = correctClassify(real, error)
      return (
        classified && new QueueError(classified.code, classified.message, { cause: error, retryable: true })
      )
    }),
  ),

  // Delivery: every 100th message of a send dropped while the send claims success (the existing one).
  entry('drops-every-100th', 'delivery.at-least-once-load', (real) => {
    let sent = 0
    return {
      async sendBatch(queue, messages) {
        const kept = messages.filter(() => ++sent % 100 !== 0)
        const results = kept.length > 0 ? await real.sendBatch(queue, kept) : []
        return messages.map((_, i) => results[i] ?? { id: `dropped-${i}` })
      },
    }
  }),
  // Delivery: with another send to the same queue in flight, the last message of a batch is lost
  // (two writers racing on one sequence number), the send claiming success.
  entry('drops-a-message-under-concurrent-sends', 'delivery.at-least-once-load', (real) => {
    const inFlight = new Map<string, number>()
    return {
      async sendBatch(queue, messages) {
        const racing = (inFlight.get(queue) ?? 0) > 0 && messages.length > 1
        inFlight.set(queue, (inFlight.get(queue) ?? 0) + 1)
        try {
          const kept = racing ? messages.slice(0, -1) : messages
          const results = await real.sendBatch(queue, kept)
          return racing ? [...results, { id: `${(results[0] as { id: string }).id}-lost` }] : results
        } finally {
          inFlight.set(queue, inFlight.get(queue)! - 1)
        }
      },
    }
  }),
  // FIFO declared, but the first two messages of a receive come back swapped.
  entry('fifo-swaps-two-messages', 'delivery.fifo', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      if (got.length >= 2) [got[0], got[1]] = [got[1]!, got[0]!]
      return got
    },
  })),
  // Receive: one message more than asked (a `<=` where `<` was meant). No receive case asks for
  // fewer than are waiting; the consumer notices, as it starts more handlers than its concurrency.
  entry(
    'receive-returns-one-more-than-asked',
    ['consumer.stop-drains', 'consumer.count-and-redrive'],
    (real) => ({
      async receiveBatch(queue, request) {
        const got = await real.receiveBatch(queue, request)
        if (got.length < request.maxMessages || request.maxMessages >= 10) return got
        const more: IncomingMessage[] = await real.receiveBatch(queue, {
          ...request,
          maxMessages: 1,
          waitSeconds: 0,
        })
        return [...got, ...more]
      },
    }),
  ),
  // Queue names: mapped to backend names by truncating to 32 characters (not injective).
  entry('queue-names-truncated-to-32', 'delivery.isolation', (real) => mapNames(real, (q) => q.slice(0, 32))),
  // Queue names: case folded (not injective: 'Jobs' and 'jobs' are one queue).
  entry('queue-names-case-folded', 'delivery.isolation', (real) => mapNames(real, (q) => q.toLowerCase())),
]

/** Every queue name passed through `map` before it reaches the real driver. */
function mapNames(real: LocalDriver, map: (queue: string) => string): Partial<QueueDriver> {
  return {
    createQueue: (q) => real.createQueue(map(q)),
    deleteQueue: (q) => real.deleteQueue(map(q)),
    sendBatch: (q, messages) => real.sendBatch(map(q), messages),
    receiveBatch: (q, request) => real.receiveBatch(map(q), request),
    ackBatch: (q, handles) => real.ackBatch(map(q), handles),
    nack: (q, handle, delay) => real.nack(map(q), handle, delay),
    renewLease: (q, handle) => real.renewLease(map(q), handle),
  }
}
