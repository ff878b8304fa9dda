/** Attempt accounting (issue 20): each the real local driver with `attempt` wrong in one way. */
import { type BrokenDriver, entry } from './wrap.js'

export const attemptDrivers: BrokenDriver[] = [
  // attempt read once per receive: every message of a batch gets the first one's count.
  entry('attempt-of-the-first-in-a-batch', 'delivery.attempt-counts-deliveries', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      return got.map((m) => ({ ...m, attempt: got[0]!.attempt }))
    },
  })),
  // A delayed send is stored as if leased once: it arrives with attempt 2.
  entry('delayed-send-starts-at-attempt-2', 'delivery.attempt-counts-deliveries', (real) => {
    const delayed = new Set<string>()
    return {
      async sendBatch(queue, messages) {
        const results = await real.sendBatch(queue, messages)
        results.forEach((r, i) => {
          if ('id' in r && messages[i]!.delaySeconds > 0) delayed.add(r.id)
        })
        return results
      },
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) =>
          delayed.has(m.id) ? { ...m, attempt: m.attempt + 1 } : m,
        )
      },
    }
  }),
  // renewLease counted as a delivery: a renewed message comes back with attempt + 2.
  entry('attempt-counts-renewals', 'lease.renew-restarts', (real) => {
    const renewals = new Map<number, number>()
    const seqOf = (handle: string) => Number.parseInt(handle.split('.')[2] ?? '', 16)
    return {
      async renewLease(queue, handle) {
        renewals.set(seqOf(handle), (renewals.get(seqOf(handle)) ?? 0) + 1)
        await real.renewLease(queue, handle)
      },
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) => ({
          ...m,
          attempt: m.attempt + (renewals.get(seqOf(m.receiptHandle)) ?? 0),
        }))
      },
    }
  }),
  // A "first delivery" flag computed per batch: when any message of a receive is new, every
  // message of it is reported as attempt 1, redeliveries included.
  entry('attempt-reset-beside-a-new-message', 'delivery.attempt-counts-deliveries', (real) => ({
    async receiveBatch(queue, request) {
      const got = await real.receiveBatch(queue, request)
      return got.some((m) => m.attempt === 1) ? got.map((m) => ({ ...m, attempt: 1 })) : got
    },
  })),
]
