// A job queue with retries: jobs go in, a consumer runs them with bounded concurrency, a failure is
// retried after a backoff, and a job that keeps failing ends up in the dead-letter queue.
//
//   npx -y pnpm@10 -C examples example job-queue.ts 'local:./data?createIfMissing=true'   (or memory:, sqs://…)
import { consume, openQueueClient } from '@anyqueue/queue-core'

// A `type`, not an `interface`: payload types must be JSON, and TypeScript only treats an object
// `type` as indexable by string (an interface can gain members later, so it never is).
type ResizeJob = { image: string; width: number }

// The URL's scheme picks the adapter; openQueueClient imports it (it must be installed). When you
// bundle the app, import the adapter yourself (`import '@anyqueue/queue-local'`) so it is included.
const client = await openQueueClient(process.argv[2] ?? 'local:./data?createIfMissing=true')
const jobs = client.queue<ResizeJob>(`resize-${process.pid}`)
const deadLetters = client.queue<ResizeJob>(`resize-${process.pid}-dlq`)
await client.createQueue(jobs.name) // creating an existing queue is a no-op
await client.createQueue(deadLetters.name)

await jobs.sendBatch(
  ['cat.png', 'dog.png', 'flaky.png', 'broken.png'].map((image) => ({ payload: { image, width: 640 } })),
)

const done: string[] = []
const consumer = consume(
  jobs,
  async (message) => {
    const { image } = message.payload
    if (image === 'broken.png') throw new Error('unsupported format')
    if (image === 'flaky.png' && message.attempt === 1) throw new Error('storage timed out')
    done.push(`${image}@${message.attempt}`)
  },
  {
    concurrency: 4,
    maxAttempts: 2,
    backoff: { initialDelaySeconds: 1, jitter: false },
    deadLetterQueue: deadLetters,
    onError: (error) => console.error('consumer error:', error),
  },
)

const [dead] = await deadLetters.receive({ waitSeconds: 20 })
await waitFor(() => done.length === 3, 20_000)
await consumer.stop()
if (dead) await deadLetters.ack(dead)

console.log(`done: ${done.sort().join(', ')}`)
console.log(`dead-lettered: ${dead?.payload.image} (${dead?.attributes['dlq-reason']})`)
await client.deleteQueue(jobs.name)
await client.deleteQueue(deadLetters.name)
await client.close()
if (done.length !== 3 || dead?.payload.image !== 'broken.png') process.exitCode = 1

async function waitFor(ready: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
