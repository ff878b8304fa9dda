/**
 * Queue deletion and listing (issue 20): each the real local driver with one promise of
 * `deleteQueue` or `listQueues` broken.
 */
import type { IncomingMessage } from '@anyqueue/queue-core/driver'
import { type BrokenDriver, entry } from './wrap.js'

export const listingDrivers: BrokenDriver[] = [
  // listQueues: a deleted queue's name stays listed (its tombstone is read as a queue).
  entry('list-keeps-deleted-queues', 'lifecycle.list-queues', (real) => {
    const deleted = new Set<string>()
    return {
      async deleteQueue(queue) {
        deleted.add(queue)
        await real.deleteQueue(queue)
      },
      async createQueue(queue) {
        deleted.delete(queue)
        await real.createQueue(queue)
      },
      listQueues: async () => [...new Set([...(await real.listQueues()), ...deleted])].sort(),
    }
  }),
  // listQueues in pages of 10, each later page starting one past its cursor: the first name of
  // every page after the first is lost.
  entry('list-loses-a-name-at-each-page-boundary', 'lifecycle.list-queues', (real) => ({
    listQueues: async () => (await real.listQueues()).filter((_, i) => i < 10 || i % 10 !== 0),
  })),
  // listQueues in the backend's order, not sorted (pages joined last page first).
  entry('list-pages-out-of-order', 'lifecycle.list-queues', (real) => ({
    async listQueues() {
      const all = await real.listQueues()
      return all.length > 10 ? [...all.slice(10), ...all.slice(0, 10)] : all
    },
  })),
  // deleteQueue as a range delete over every name that starts with the queue's: `jobs` takes
  // `jobs-dlq` and `jobs0` with it.
  entry('delete-takes-queues-named-alike', 'lifecycle.delete-exactly-the-named', (real) => ({
    async deleteQueue(queue) {
      const all = await real.listQueues()
      for (const name of all) if (name.startsWith(queue)) await real.deleteQueue(name)
    },
  })),
  // deleteQueue clears the waiting messages but not the leased ones: a queue created again under
  // the same name gets them back when their lease runs out.
  entry(
    'delete-leaves-leased-messages',
    'lifecycle.recreated-is-new',
    (real) => {
      const leased = new Map<string, Map<string, IncomingMessage>>()
      return {
        async receiveBatch(queue, request) {
          const got = await real.receiveBatch(queue, request)
          const mine = leased.get(queue) ?? new Map()
          leased.set(queue, mine)
          for (const m of got) mine.set(m.id, m)
          return got
        },
        async ackBatch(queue, handles) {
          await real.ackBatch(queue, handles)
          const mine = leased.get(queue)
          for (const [id, m] of mine ?? []) if (handles.includes(m.receiptHandle)) mine!.delete(id)
        },
        async deleteQueue(queue) {
          await real.deleteQueue(queue)
          const left = [...(leased.get(queue)?.values() ?? [])]
          leased.delete(queue)
          if (left.length === 0) return
          // Put back when the queue exists again, hidden for what is left of their lease.
          let tries = 0
          const back = async () => {
            try {
              await real.sendBatch(
                queue,
                left.map((m) => ({
                  body: typeof m.body === 'string' ? m.body : Buffer.from(m.body).toString('utf8'),
                  contentType: m.contentType,
                  attributes: m.attributes,
                  delaySeconds: 1,
                  bytes: 0,
                })),
              )
            } catch {
              // Not created again yet (or the driver closed): look again for a few seconds.
              if (++tries < 50) setTimeout(back, 100)
            }
          }
          setTimeout(back, 100)
        },
      }
    },
    { reason: /still held/ },
  ),
]
