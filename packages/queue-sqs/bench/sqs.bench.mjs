// pnpm bench (queue-sqs): anyqueue's SQS driver against the raw SDK making the same calls, on the
// same backend (resolved like the tests: env endpoint → LocalStack → moto_server), in one process.
// Emulators are slow and drift as they run, so the two sides alternate call by call and each side's
// rate comes from the time of its own calls only.

import { resolveBackend, sqsBackend } from '@anyqueue/conformance/backends'
import { consume, QueueClient } from '@anyqueue/queue-core'
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { consumeVsLoop, portableSteps, report, stepComparer } from '../../../scripts/bench-kit.mjs'
import { createSqsDriver } from '../dist/index.js'

const N = Number(process.env.BENCH_MESSAGES ?? 1_000)
const payload = { order: 12345, items: ['a', 'b', 'c'], note: 'x'.repeat(200) }
const body = JSON.stringify(payload)
const attributes = { 'content-type': { DataType: 'String', StringValue: 'application/json' } }

const backend = await resolveBackend(sqsBackend)
const sdk = new SQSClient({ ...backend.connection, maxAttempts: 1 })
const client = new QueueClient(createSqsDriver({ clientConfig: backend.connection }))

async function queues() {
  const name = `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
  const { QueueUrl } = await sdk.send(new CreateQueueCommand({ QueueName: name }))
  return { QueueUrl, queue: client.queue(name) }
}

const raw = {
  sendOne: ({ QueueUrl }) =>
    sdk.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageAttributes: attributes })),
  sendTen: ({ QueueUrl }) =>
    sdk.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: attributes,
        })),
      }),
    ),
  async receiveAck({ QueueUrl }) {
    const r = await sdk.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        MessageAttributeNames: ['content-type'],
      }),
    )
    const messages = r.Messages ?? []
    if (messages.length > 0) {
      const Entries = messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }))
      await sdk.send(new DeleteMessageBatchCommand({ QueueUrl, Entries }))
    }
    return messages.length
  },
}
const portable = portableSteps(payload)
const compare = stepComparer(raw, portable)

try {
  // Drain after each send phase: moto's cost grows with queue depth.
  const drain = async (targets) => {
    for (const side of ['raw', 'anyqueue']) {
      const impl = side === 'raw' ? raw : portable
      while ((await impl.receiveAck(targets[side])) > 0) {}
    }
  }
  const one = { raw: await queues(), anyqueue: (await queues()).queue }
  await compare(10, 1, 'sendOne', one) // warm up connections and caches
  await drain(one)
  const sendOne = await compare(N / 2, 1, 'sendOne', one)
  await drain(one)
  const ten = { raw: await queues(), anyqueue: (await queues()).queue }
  const sendTen = await compare(N / 20, 10, 'sendTen', ten)
  const receiveAck = await compare(N / 20, 10, 'receiveAck', ten)
  report(`queue-sqs vs raw @aws-sdk/client-sqs — ${backend.description}`, 'anyqueue', 'raw SDK', [
    { name: `send, one at a time (${N / 2} each)`, ...sendOne },
    { name: `sendBatch of 10 (${N / 2} each)`, ...sendTen },
    { name: `receive 10 + ackBatch (${N / 2} each)`, ...receiveAck },
  ])
  const consumerMessages = Number(process.env.BENCH_CONSUMER_MESSAGES ?? 300)
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3)
  const loop = await consumeVsLoop(consume, (await queues()).queue, {
    messages: consumerMessages,
    concurrency: 16,
    rounds,
    payload,
  })
  report(
    `consume() vs manual loop on queue-sqs — ${consumerMessages.toLocaleString('en-US')} messages, no-op handler, ${rounds} alternating rounds; manual loop = receive 10 + ackBatch`,
    'consume()',
    'manual loop',
    [{ name: 'consume, concurrency 16', ...loop }],
  )
} finally {
  await client.close()
  sdk.destroy()
  await backend.stop()
}
