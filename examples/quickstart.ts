// The root README's example, verbatim (the install test checks that README.md still contains it).
//
//   npx -y pnpm@10 -C examples example quickstart.ts
import { QueueClient } from '@anyqueue/queue-core'
import { createLocalDriver } from '@anyqueue/queue-local'

// JSON members only: see "Payload types" in the README
interface EmailJob {
  userId: number
}

async function sendEmail(userId: number): Promise<void> {
  console.log(`emailing user ${userId}`) // your code
}

const client = new QueueClient(createLocalDriver({ location: './queues', createIfMissing: true }))
const jobs = client.queue<EmailJob>('emails')

await jobs.send({ userId: 42 }) // resolves once it is on disk
await jobs.send({ userId: 7 }, { delaySeconds: 60 }) // invisible for a minute

const messages = await jobs.receive({ maxMessages: 10, waitSeconds: 1 })
for (const message of messages) {
  try {
    await sendEmail(message.payload.userId) // message.attempt: 1, 2, …
  } catch (error) {
    console.error(`email to user ${message.payload.userId} failed (attempt ${message.attempt})`, error)
    await jobs.nack(message, { delaySeconds: 30 }) // try again in 30 s
    continue
  }
  await jobs.ack(message) // gone for good; acking twice is a no-op
}
await client.close()
