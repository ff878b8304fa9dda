// Graceful shutdown: on SIGTERM the consumer stops taking messages, lets running handlers finish,
// and leaves the rest in the queue for the next process. Nothing acknowledged is lost, nothing
// unfinished is acked.
//
//   npx -y pnpm@10 -C examples example graceful-shutdown.ts 'local:./data?createIfMissing=true'
import { consume, countMessages, openQueueClient } from '@anyqueue/queue-core'

const client = await openQueueClient(process.argv[2] ?? 'local:./data?createIfMissing=true')
const emails = client.queue<{ to: string }>(`emails-${process.pid}`)
await client.createQueue(emails.name)
await emails.sendBatch(Array.from({ length: 6 }, (_, i) => ({ payload: { to: `user${i}@example.com` } })))

let handled = 0
const consumer = consume(
  emails,
  async () => {
    // The work. `context.signal` aborts on stop: pass it to fetch() and the like to cut long work
    // short (then throw, so the message is not acked); this work is short enough to finish.
    await new Promise((resolve) => setTimeout(resolve, 200))
    handled++
    if (handled === 2) process.kill(process.pid, 'SIGTERM') // as a process manager would
  },
  { concurrency: 1 },
)
process.once('SIGTERM', () => {
  console.log('SIGTERM: finishing the running handler, then stopping')
  void consumer.stop()
})
await consumer.done

const left = await countMessages(emails)
console.log(`handled ${handled}, left in the queue for the next run: ${left}`)
await client.deleteQueue(emails.name)
await client.close()
if (handled + left !== 6) process.exitCode = 1
