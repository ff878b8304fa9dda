// Errors you can act on: every failure is a QueueError with a stable code; isQueueError(e, code)
// narrows it. A queue must exist before use — create it (idempotent) or open with createIfMissing.
//
//   npx -y pnpm@10 -C examples example errors.ts 'sqs://127.0.0.1:5000?region=us-east-1'
import { isQueueError, LIMITS, openQueueClient } from '@anyqueue/queue-core'

// memory: by default: a local: URL opens only a store that exists (or one with createIfMissing).
const client = await openQueueClient(process.argv[2] ?? 'memory:')
const orders = client.queue<{ id: string; note: string }>(`orders-${process.pid}`)

try {
  await orders.send({ id: 'A-1', note: 'first' })
} catch (error) {
  if (!isQueueError(error, 'QUEUE_NOT_FOUND')) throw error // anything else is not ours to handle
  console.log(`no queue yet (${error.code}): creating it`)
  await client.createQueue(orders.name)
  await orders.send({ id: 'A-1', note: 'first' })
}

try {
  await orders.send({ id: 'A-2', note: 'x'.repeat(LIMITS.maxPayloadBytes) })
} catch (error) {
  if (!isQueueError(error, 'MESSAGE_TOO_LARGE')) throw error
  const code: 'MESSAGE_TOO_LARGE' = error.code // narrowed: a typo here fails to compile
  console.log(
    `${code}: ${error.field} is over ${error.limit} bytes; store the body elsewhere and send a link`,
  )
}

const [message] = await orders.receive({ waitSeconds: 5 })
if (message?.payload.id !== 'A-1') throw new Error(`expected A-1, got ${JSON.stringify(message?.payload)}`)
await orders.ack(message)
console.log(`received and acked ${message.payload.id} on attempt ${message.attempt}`)
await client.deleteQueue(orders.name)
await client.close()
