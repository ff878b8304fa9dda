import { QueueError } from '@anyqueue/queue-core/driver'
import { type BrokenDriver, entry, Leases, parseHandle } from './wrap.js'

/** A receiveBatch that records every handle it hands out in `leases`. */
const recording = (leases: Leases, receive: (q: string, r: any) => Promise<any>) => ({
  receiveBatch: async (queue: string, request: any) => leases.record(queue, await receive(queue, request)),
})

export const ackDrivers: BrokenDriver[] = [
  // Ack resolves and does nothing (the existing one).
  entry('ack-does-nothing', 'ack.for-good', () => ({ ackBatch: async () => {} })),
  // One handle in 50 silently not deleted: a load run that stops at "every id seen once" misses it.
  entry('ack-ignores-1-in-50', 'delivery.at-least-once-load', (real) => {
    let acks = 0
    return {
      ackBatch: (queue, handles) =>
        real.ackBatch(
          queue,
          handles.filter(() => ++acks % 50 !== 0),
        ),
    }
  }),
  // Off by one: the last handle of a full batch is skipped (`i < handles.length - 1`).
  entry('ack-skips-the-last-of-a-full-batch', 'ack.batch-complete', (real) => ({
    ackBatch: (queue, handles) =>
      real.ackBatch(queue, handles.length === real.capabilities.maxBatch ? handles.slice(0, -1) : handles),
  })),
  // Ack deletes the oldest message in flight instead of the one named: right whenever only one is.
  entry('ack-deletes-the-oldest-in-flight', 'ack.exactly-the-named', (real) => {
    const leases = new Leases()
    return {
      ...recording(leases, (q, r) => real.receiveBatch(q, r)),
      async ackBatch(queue, handles) {
        const targets = handles.map((handle) => {
          const target = leases.oldest(queue) ?? handle
          leases.forget(queue, target)
          return target
        })
        await real.ackBatch(queue, targets)
      },
    }
  }),
  // A second ack of the same handle throws ("lock lost") instead of resolving.
  entry('ack-twice-throws', 'ack.twice', (real) => {
    const acked = new Set<string>()
    return {
      async ackBatch(queue, handles) {
        const again = handles.find((h) => acked.has(h))
        if (again) throw new QueueError('INVALID_RECEIPT_HANDLE', `the lock of ${again} was lost`)
        for (const h of handles) acked.add(h)
        await real.ackBatch(queue, handles)
      },
    }
  }),
  // ackBatch stops at the first handle already gone (`return` where `continue` was meant).
  entry('ack-batch-stops-at-a-gone-handle', 'ack.batch-with-a-gone-handle', (real) => {
    const acked = new Set<string>()
    return {
      async ackBatch(queue, handles) {
        const stop = handles.findIndex((h) => acked.has(h))
        const live = stop === -1 ? handles : handles.slice(0, stop)
        for (const h of live) acked.add(h)
        await real.ackBatch(queue, live)
      },
    }
  }),
  // Ack deletes from memory; the delete on disk misses (wrong key), so the message is back after a reopen.
  entry('ack-not-durable', 'delivery.persistence', (real) => ({
    async ackBatch(queue, handles) {
      const keys = handles.flatMap((h) => {
        const parts = parseHandle(h)
        return parts ? [`M!${queue}!${parts.seq.toString(16).padStart(13, '0')}`] : []
      })
      const kept = await real.db.getMany(keys)
      await real.ackBatch(queue, handles)
      await real.db.batch(
        keys.flatMap((key, i) =>
          kept[i] === undefined ? [] : [{ type: 'put' as const, key, value: kept[i]! }],
        ),
      )
    },
  })),

  // Receipt handle reused: every delivery of a message carries its first handle (the message id used
  // as the handle), so a redelivery cannot be told from the delivery before it.
  entry('same-handle-on-every-delivery', ['ack.stale-handle-safe', 'ack.stale-handle-ignored'], (real) => {
    const first = new Map<string, string>()
    const current = new Map<string, string>()
    return {
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) => {
          const handle = first.get(m.id) ?? m.receiptHandle
          first.set(m.id, handle)
          current.set(handle, m.receiptHandle)
          return { ...m, receiptHandle: handle }
        })
      },
      ackBatch: (queue, handles) =>
        real.ackBatch(
          queue,
          handles.map((h) => current.get(h) ?? h),
        ),
      nack: (queue, handle, delaySeconds) => real.nack(queue, current.get(handle) ?? handle, delaySeconds),
      renewLease: (queue, handle) => real.renewLease(queue, current.get(handle) ?? handle),
    }
  }),
  // nack of a message already acked throws ("message not found") instead of being a no-op. No case
  // nacks a handle it acked; ack.stale-handle-safe acks a stale handle, then nacks it, and notices.
  entry('nack-after-ack-throws', 'ack.stale-handle-safe', (real) => {
    const acked = new Set<string>()
    return {
      async ackBatch(queue, handles) {
        await real.ackBatch(queue, handles)
        for (const h of handles) acked.add(h)
      },
      async nack(queue, handle, delaySeconds) {
        if (acked.has(handle))
          throw new QueueError('INVALID_RECEIPT_HANDLE', `message of ${handle} not found`)
        await real.nack(queue, handle, delaySeconds)
      },
    }
  }),
  // renewLease of a message already acked throws instead of being a no-op (caught the same way).
  entry('renew-after-ack-throws', 'ack.stale-handle-safe', (real) => {
    const acked = new Set<string>()
    return {
      async ackBatch(queue, handles) {
        await real.ackBatch(queue, handles)
        for (const h of handles) acked.add(h)
      },
      async renewLease(queue, handle) {
        if (acked.has(handle))
          throw new QueueError('INVALID_RECEIPT_HANDLE', `message of ${handle} not found`)
        await real.renewLease(queue, handle)
      },
    }
  }),
  // Stale ack: acts on the current delivery, while the manifest declares staleHandles 'ignored'.
  entry('stale-ack-deletes-the-redelivered-message', 'ack.stale-handle-ignored', (real) => {
    const leases = new Leases()
    return {
      ...recording(leases, (q, r) => real.receiveBatch(q, r)),
      ackBatch: (queue, handles) =>
        real.ackBatch(
          queue,
          handles.map((h) => leases.latest(queue, h)),
        ),
    }
  }),
  // Stale nack: releases the current holder's lease.
  entry('stale-nack-releases-the-current-holder', 'ack.stale-handle-ignored', (real) => {
    const leases = new Leases()
    return {
      ...recording(leases, (q, r) => real.receiveBatch(q, r)),
      nack: (queue, handle, delaySeconds) => real.nack(queue, leases.latest(queue, handle), delaySeconds),
    }
  }),
  // Stale renewLease: extends the current holder's lease.
  entry('stale-renew-extends-the-current-lease', 'ack.stale-renew-ignored', (real) => {
    const leases = new Leases()
    return {
      ...recording(leases, (q, r) => real.receiveBatch(q, r)),
      renewLease: (queue, handle) => real.renewLease(queue, leases.latest(queue, handle)),
    }
  }),
  // Stale ack throws ("lock lost") instead of resolving.
  entry('stale-ack-throws', 'ack.stale-handle-safe', (real) => {
    const leases = new Leases()
    return {
      ...recording(leases, (q, r) => real.receiveBatch(q, r)),
      async ackBatch(queue, handles) {
        const stale = handles.find((h) => leases.latest(queue, h) !== h)
        if (stale) throw new QueueError('INVALID_RECEIPT_HANDLE', `the lock of ${stale} was lost`)
        await real.ackBatch(queue, handles)
      },
    }
  }),
  // A nack releases the message named and, by a shared loop variable, the oldest other in flight.
  entry('nack-releases-another-message-too', 'ack.stale-handle-safe', (real) => {
    const leases = new Leases()
    return {
      ...recording(leases, (q, r) => real.receiveBatch(q, r)),
      async nack(queue, handle, delaySeconds) {
        await real.nack(queue, handle, delaySeconds)
        const other = leases.oldestOther(queue, handle)
        if (other) await real.nack(queue, other, 0)
      },
    }
  }),
]
