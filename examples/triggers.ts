// One handler, two runners: the same function runs under `consume()` in a long-running worker and
// as the Lambda handler behind an SQS event source mapping. Only the wiring differs; retries, the
// dead-letter queue with its reason, schema checks and tracing behave the same.
//
//   npx -y pnpm@10 -C examples example triggers.ts 'sqs://127.0.0.1:5000?region=us-east-1&createIfMissing=true'
import { consume, type Handler, openQueueClient } from '@anyqueue/queue-core'
import { createSqsLambdaHandler, type SqsDriver, type SqsEvent } from '@anyqueue/queue-sqs'
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs'

type Order = { id: string; total: number }

// The handler: yours, written once.
const handleOrder: Handler<Order> = async (message, { deadLetter }) => {
  if (message.payload.total < 0) return deadLetter(`order ${message.payload.id} has a negative total`)
  if (message.attempt === 1 && message.payload.id === 'flaky') throw new Error('the warehouse timed out')
  handled.push(`${message.payload.id} (attempt ${message.attempt})`)
}
const handled: string[] = []
const options = { maxAttempts: 3, backoff: () => 0 }

const client = await openQueueClient(
  process.argv[2] ?? 'sqs://127.0.0.1:5000?region=us-east-1&createIfMissing=true',
)
if (client.driver.name !== 'sqs') throw new Error('this example runs on SQS: pass an sqs:// URL')
const name = `orders-${process.pid}`
await client.createQueue(name)
const orders = client.queue<Order>(name)

// 1. A long-running worker: consume().
for (const order of [
  { id: 'a', total: 10 },
  { id: 'flaky', total: 20 },
  { id: 'bad', total: -1 },
])
  await orders.send(order)
const worker = consume(orders, handleOrder, { ...options, waitSeconds: 1 })
while (handled.length < 2) await new Promise((resolve) => setTimeout(resolve, 100))
await worker.stop()
console.log('consume():', handled.splice(0))

// 2. The same handler as a Lambda function (export it as `handler` from your function's module).
export const handler = createSqsLambdaHandler(orders, handleOrder, options)

// What the event source mapping does for you on AWS: receive, invoke with an SQSEvent, delete the
// records that are not in batchItemFailures. Here it runs in a loop so the example is self-contained.
for (const order of [
  { id: 'b', total: 30 },
  { id: 'flaky', total: 40 },
  { id: 'bad', total: -2 },
])
  await orders.send(order)
const sqs = (client.driver as SqsDriver).client
const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }))
const { Attributes } = await sqs.send(
  new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
)
while (handled.length < 2) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  )
  if (Messages.length === 0) continue
  const event: SqsEvent = {
    Records: Messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount!,
        SentTimestamp: m.Attributes!.SentTimestamp!,
      },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([key, v]) => [
          key,
          { ...(v.StringValue === undefined ? {} : { stringValue: v.StringValue }), dataType: v.DataType! },
        ]),
      ),
      eventSourceARN: Attributes!.QueueArn!,
    })),
  }
  const { batchItemFailures } = await handler(event, { getRemainingTimeInMillis: () => 30_000 })
  const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier))
  const done = event.Records.filter((r) => !failed.has(r.messageId))
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    )
  }
}
console.log('Lambda handler:', handled.splice(0))

// Both runners dead-lettered the bad orders to `<name>-dlq`, with the reason.
const deadLetters = client.queue(`${name}-dlq`)
const reasons: string[] = []
while (reasons.length < 2) {
  for (const m of await deadLetters.receive({ maxMessages: 10, waitSeconds: 1 })) {
    reasons.push(m.attributes['dlq-reason']!)
    await deadLetters.ack(m)
  }
}
console.log('dead letters:', reasons.sort())
if (reasons.join() !== 'order bad has a negative total,order bad has a negative total')
  throw new Error('unexpected dead letters')
await client.deleteQueue(name)
await client.deleteQueue(`${name}-dlq`)
await client.close()
