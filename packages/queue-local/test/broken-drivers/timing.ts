import type { IncomingMessage } from '@anyqueue/queue-core/driver'
import { type BrokenDriver, entry, formatHandle, LEASE_SECONDS, parseHandle, sleep } from './wrap.js'

export const timingDrivers: BrokenDriver[] = [
  // Long poll: a "long poll" that is really a short one (a fixed 100 ms, whatever was asked).
  entry('long-poll-returns-at-once', 'long-poll.empty-waits', (real) => ({
    receiveBatch: (queue, request) =>
      real.receiveBatch(queue, { ...request, waitSeconds: Math.min(request.waitSeconds, 0.1) }),
  })),
  // Long poll as check, sleep the whole wait, check again: a message sent meanwhile waits it out.
  entry('long-poll-waits-the-whole-wait', 'long-poll.wakes-on-send', (real) => ({
    async receiveBatch(queue, request) {
      const first = await real.receiveBatch(queue, { ...request, waitSeconds: 0 })
      if (first.length > 0 || request.waitSeconds === 0) return first
      await sleep(request.waitSeconds * 1000, request.signal)
      return real.receiveBatch(queue, { ...request, waitSeconds: 0 })
    },
  })),
  // Long poll that waits to fill the batch: one message waiting, ten asked for, the whole wait passes.
  // The wake-on-send case asks for ten and sends one; whether ack.twice or FIFO also notice the late
  // deliveries (leases running out mid-wait) depends on the machine's load, so only the timed case counts.
  entry('long-poll-waits-to-fill-the-batch', 'long-poll.wakes-on-send', (real) => ({
    async receiveBatch(queue, request) {
      const end = Date.now() + request.waitSeconds * 1000
      const got = await real.receiveBatch(queue, request)
      while (
        got.length > 0 &&
        got.length < request.maxMessages &&
        Date.now() < end &&
        !request.signal?.aborted
      ) {
        const more = await real.receiveBatch(queue, {
          ...request,
          maxMessages: request.maxMessages - got.length,
          waitSeconds: (end - Date.now()) / 1000,
        })
        got.push(...more)
      }
      return got
    },
  })),
  // Long poll deaf to the abort signal: close() waits out the whole poll.
  entry('long-poll-ignores-the-abort-signal', 'lifecycle.close-cuts-long-poll', (real) => ({
    receiveBatch: (queue, { signal: _, ...request }) => real.receiveBatch(queue, request),
  })),
  // A receive that hooks the caller's signal and never unhooks it (as one SDK does when it drains
  // leftover credit): a consumer's one signal gathers a listener per poll for as long as it runs.
  entry('receive-leaves-a-listener-on-the-signal', 'long-poll.signal-released', (real) => ({
    receiveBatch(queue, request) {
      request.signal?.addEventListener('abort', () => {})
      return real.receiveBatch(queue, request)
    },
  })),
  // Long poll in the wrong unit somewhere: twice the wait asked for.
  entry('long-poll-waits-twice-as-long', 'long-poll.empty-waits', (real) => ({
    receiveBatch: (queue, request) =>
      real.receiveBatch(queue, { ...request, waitSeconds: Math.min(20, request.waitSeconds * 2) }),
  })),

  // Lease: half as long as declared (the backend's lease set to leaseSeconds / 2).
  entry('lease-half-as-long', 'lease.comes-back', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      for (const m of got) await real.nack(queue, m.receiptHandle, LEASE_SECONDS / 2)
      return got
    },
  })),
  // Lease: twice as long as declared. Only an upper bound on the lease catches it.
  entry('lease-twice-as-long', 'lease.comes-back', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      for (const m of got) await real.nack(queue, m.receiptHandle, LEASE_SECONDS * 2)
      return got
    },
  })),
  // Lease ignored for all but the first message of a receive: the rest are visible again at once.
  // No lease case receives more than one message; FIFO notices the repeats.
  entry('lease-only-for-the-first-of-a-batch', 'delivery.fifo', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      for (const m of got.slice(1)) await real.nack(queue, m.receiptHandle, 0)
      return got
    },
  })),
  // A read-then-mark race: receives in flight at the same time all get what one of them took.
  entry('leased-message-shared-by-concurrent-receives', 'lease.hidden-under-concurrency', (real) => {
    const inFlight = new Map<string, Set<{ extra: IncomingMessage[] }>>()
    return {
      async receiveBatch(queue, request) {
        const mine = { extra: [] as IncomingMessage[] }
        const set = inFlight.get(queue) ?? new Set()
        inFlight.set(queue, set)
        set.add(mine)
        try {
          const got = await real.receiveBatch(queue, request)
          for (const other of set) if (other !== mine) other.extra.push(...got)
          return [...got, ...mine.extra.slice(0, request.maxMessages - got.length)]
        } finally {
          set.delete(mine)
        }
      },
    }
  }),

  // attempt: always 1 (the existing one).
  entry('attempt-never-grows', 'lease.comes-back', (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({ ...m, attempt: 1 }))
    },
  })),
  // attempt: grows by two (deliveries counted once on take and again on redelivery).
  entry('attempt-grows-by-two', ['lease.comes-back', 'nack.returns-early'], (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({ ...m, attempt: m.attempt * 2 - 1 }))
    },
  })),
  // attempt: counts redeliveries, not deliveries, so the first one is 0.
  entry('attempt-starts-at-zero', ['delivery.metadata', 'lease.comes-back'], (real) => ({
    async receiveBatch(queue, request) {
      return (await real.receiveBatch(queue, request)).map((m) => ({ ...m, attempt: m.attempt - 1 }))
    },
  })),
  // attempt: counted in memory by the client, so it starts again at 1 after a reopen.
  entry('attempt-resets-after-reopen', 'delivery.persistence', (real) => {
    const deliveries = new Map<string, number>()
    return {
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) => {
          const attempt = (deliveries.get(m.id) ?? 0) + 1
          deliveries.set(m.id, attempt)
          return { ...m, attempt }
        })
      },
    }
  }),
  // attempt: grows on a nack, not when a lease runs out (counted in the nack path only).
  entry('attempt-grows-only-on-nack', 'lease.comes-back', (real) => {
    const nacks = new Map<string, number>()
    const idOf = new Map<string, string>()
    return {
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) => {
          idOf.set(m.receiptHandle, m.id)
          return { ...m, attempt: 1 + (nacks.get(m.id) ?? 0) }
        })
      },
      async nack(queue, handle, delaySeconds) {
        const id = idOf.get(handle)
        if (id) nacks.set(id, (nacks.get(id) ?? 0) + 1)
        return real.nack(queue, handle, delaySeconds)
      },
    }
  }),

  // renewLease: does nothing (the existing one).
  entry('renew-does-nothing', ['lease.renew-restarts', 'consumer.renews-slow-handler'], () => ({
    renewLease: async () => {},
  })),
  // renewLease: extends by two leases.
  entry('renew-extends-twice-the-lease', 'lease.renew-restarts', (real) => ({
    renewLease: (queue, handle) => real.nack(queue, handle, LEASE_SECONDS * 2),
  })),
  // renewLease: half a lease from now, not a whole one.
  entry('renew-extends-half-a-lease', 'lease.renew-restarts', (real) => ({
    renewLease: (queue, handle) => real.nack(queue, handle, LEASE_SECONDS / 2),
  })),
  // renewLease: off by one in the handle's sequence number, renewing the next message instead.
  entry(
    'renew-renews-the-next-message',
    ['lease.renew-restarts', 'consumer.renews-slow-handler'],
    (real) => ({
      async renewLease(queue, handle) {
        const parts = parseHandle(handle)
        if (parts) await real.renewLease(queue, formatHandle({ ...parts, seq: parts.seq + 1, token: 1 }))
      },
    }),
  ),

  // nack: does nothing; the message sits out its lease.
  // nack.returns-early does not catch it: it allows bound(1 s) = 2 s after the nack, and the 2 s
  // lease the nack should have ended runs out by then. Only counting dead letters (which leases and
  // nacks them all) notices. Reported to the lead as a weakness of nack.returns-early.
  entry('nack-does-nothing', 'consumer.count-and-redrive', () => ({ nack: async () => {} })),
  // nack: the delay is dropped.
  entry('nack-ignores-the-delay', 'nack.delay', (real) => ({
    nack: (queue, handle) => real.nack(queue, handle, 0),
  })),
  // nack: the delay doubled.
  entry('nack-doubles-the-delay', 'nack.delay', (real) => ({
    nack: (queue, handle, delaySeconds) => real.nack(queue, handle, delaySeconds * 2),
  })),
  // nack: the delay honoured on a first delivery only (a redelivery takes another code path).
  entry('nack-ignores-the-delay-after-a-redelivery', 'consumer.retry-grows', (real) => ({
    nack: (queue, handle, delaySeconds) =>
      real.nack(queue, handle, (parseHandle(handle)?.token ?? 1) > 1 ? 0 : delaySeconds),
  })),

  // Delayed send: ignored.
  entry('delay-ignored', 'delivery.delayed-send', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => ({ ...m, delaySeconds: 0 })),
      ),
  })),
  // Delayed send: doubled.
  entry('delay-doubled', 'delivery.delayed-send', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => ({ ...m, delaySeconds: m.delaySeconds * 2 })),
      ),
  })),
  // Delayed send: a second short (an off-by-one converting to the backend's unit).
  entry('delay-a-second-short', 'delivery.delayed-send', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => ({ ...m, delaySeconds: Math.max(0, m.delaySeconds - 1) })),
      ),
  })),
  // Delayed send in a batch: entry 0's delay applied to every entry.
  entry('batch-delay-of-entry-0-for-all', 'batch.per-entry-delay', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => ({ ...m, delaySeconds: messages[0]!.delaySeconds })),
      ),
  })),
  // Delayed send in a batch: only entry 0's delay honoured.
  entry('batch-delay-only-for-entry-0', 'batch.per-entry-delay', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m, i) => (i === 0 ? m : { ...m, delaySeconds: 0 })),
      ),
  })),
  // Delayed send: a delay over 60 s silently dropped (the backend would refuse it), while the
  // manifest declares 900.
  entry('delay-over-60-seconds-dropped', 'delivery.delay-at-the-maximum', (real) => ({
    sendBatch: (queue, messages) =>
      real.sendBatch(
        queue,
        messages.map((m) => (m.delaySeconds > 60 ? { ...m, delaySeconds: 0 } : m)),
      ),
  })),
]
