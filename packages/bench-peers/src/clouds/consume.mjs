import { consume } from '@anyqueue/queue-core'

/** anyqueue's side on every cloud: consume() at `concurrency`, a no-op handler, stopped once all came. */
export function consumeSide(label = 'consume(16)') {
  return {
    name: label,
    async drain({ queue }, count, concurrency) {
      let handled = 0
      await new Promise((resolve, reject) => {
        const consumer = consume(
          queue,
          () => {
            if (++handled === count) consumer.stop().then(resolve, reject)
          },
          { concurrency, onError: (error) => console.error(`${label}:`, error) },
        )
      })
    },
  }
}

/** Fills a fresh anyqueue queue with `count` messages in batches of 10 (untimed). */
export async function fillQueue(client, prefix, count, payload) {
  const name = `${prefix}${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  await client.createQueue(name)
  const queue = client.queue(name)
  const batch = Array.from({ length: 10 }, () => ({ payload }))
  for (let sent = 0; sent < count; sent += 10)
    await queue.sendBatch(batch.slice(0, Math.min(10, count - sent)))
  return { name, queue, cleanup: () => client.deleteQueue(name) }
}
