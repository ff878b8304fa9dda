import type { PeekedIncomingMessage, QueueStats } from '@anyqueue/queue-core/driver'
import { type BrokenDriver, entry, Leases } from './wrap.js'

/**
 * Looks that change the queue, or miscount it (issue 22): each breaks one promise of the `inspect.`
 * cases and no other.
 */
export const inspectDrivers: BrokenDriver[] = [
  // Leased messages counted as visible: the depth an autoscaler reads never drops while work is held.
  entry('stats-counts-leased-as-visible', 'inspect.stats-follow-the-queue', (real) => ({
    async stats(queue: string): Promise<QueueStats> {
      const stats = await real.stats(queue)
      return { ...stats, visible: stats.visible! + stats.inFlight!, inFlight: 0 }
    },
  })),
  // The old `count`: receive everything and nack it back. The numbers come out right; each look
  // is a delivery.
  entry(
    'stats-counts-by-leasing',
    'inspect.stats-follow-the-queue',
    (real) => ({
      async stats(queue: string): Promise<QueueStats> {
        const held: string[] = []
        for (;;) {
          const batch = await real.receiveBatch(queue, { maxMessages: 10, waitSeconds: 0 })
          if (batch.length === 0) break
          held.push(...batch.map((m) => m.receiptHandle))
        }
        for (const handle of held) await real.nack(queue, handle, 0)
        return real.stats(queue)
      },
    }),
    { reason: /counted as a delivery/ },
  ),
  // Delayed messages counted as visible (the due time ignored).
  entry('stats-counts-delayed-as-visible', 'inspect.stats-delayed', (real) => ({
    async stats(queue: string): Promise<QueueStats> {
      const stats = await real.stats(queue)
      return {
        ...stats,
        visible: stats.visible! + stats.delayed!,
        delayed: 0,
        active: stats.active! + stats.delayed!,
      }
    },
  })),
  // A subscription's address read as a plain queue name that holds nothing.
  entry('stats-subscription-always-empty', 'inspect.stats-subscription', (real) => ({
    async stats(queue: string): Promise<QueueStats> {
      const stats = await real.stats(queue)
      if (!queue.includes('/')) return stats
      return { visible: 0, inFlight: 0, active: 0, delayed: 0, oldestAgeSeconds: 0 }
    },
  })),
  // Peek by receiving what is visible and nacking it back: each look is a delivery.
  entry('peek-by-receiving', 'inspect.peek-changes-nothing', (real) => ({
    async peek(queue, request): Promise<PeekedIncomingMessage[]> {
      const shown = await real.peek(queue, request)
      const batch = await real.receiveBatch(queue, { maxMessages: request.maxMessages, waitSeconds: 0 })
      for (const m of batch) await real.nack(queue, m.receiptHandle, 0)
      return shown
    },
  })),
  // Newest first (a reverse iterator).
  entry('peek-newest-first', 'inspect.peek-changes-nothing', (real) => ({
    async peek(queue, request): Promise<PeekedIncomingMessage[]> {
      return (await real.peek(queue, { maxMessages: 100 })).reverse().slice(0, request.maxMessages)
    },
  })),
  // A peek that "refreshes" what it shows by releasing the leases of the messages it looks at.
  entry('peek-releases-leases', 'inspect.peek-while-leased', (real) => {
    const leases = new Leases()
    return {
      receiveBatch: async (queue, request) => leases.record(queue, await real.receiveBatch(queue, request)),
      async peek(queue, request): Promise<PeekedIncomingMessage[]> {
        const shown = await real.peek(queue, request)
        let handle = leases.oldest(queue)
        while (handle !== undefined) {
          leases.forget(queue, handle)
          await real.nack(queue, handle, 0)
          handle = leases.oldest(queue)
        }
        return shown
      },
    }
  }),
]
