import { resolveBackend, sqsBackend } from '@anyqueue/conformance/backends'
import { QueueClient } from '@anyqueue/queue-core'
import { createSqsDriver } from '@anyqueue/queue-sqs'
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { consumeSide, fillQueue } from './consume.mjs'

/**
 * SQS: consume(16) against the SDK's best: ceil(16 / 10) = 2 parallel long-poll loops of
 * ReceiveMessage (10, wait 20 s), each batch deleted with one DeleteMessageBatch before its next poll.
 */
export const sqsPeers = {
  name: 'sqs',
  async open() {
    const backend = await resolveBackend(sqsBackend)
    const driver = createSqsDriver({ clientConfig: backend.connection })
    const client = new QueueClient(driver)
    const sdk = new SQSClient(backend.connection)
    return {
      fill: (count, payload) => fillQueue(client, 'sq', count, payload),
      anyqueue: consumeSide(),
      sdk: {
        name: 'SDK long-poll loops ×2',
        async drain({ name }, count, concurrency) {
          const { QueueUrl } = await sdk.send(new GetQueueUrlCommand({ QueueName: driver.backendName(name) }))
          let handled = 0
          const loop = async () => {
            while (handled < count) {
              const { Messages = [] } = await sdk.send(
                new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
              )
              if (Messages.length === 0) continue
              handled += Messages.length
              await sdk.send(
                new DeleteMessageBatchCommand({
                  QueueUrl,
                  Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
                }),
              )
            }
          }
          await Promise.all(Array.from({ length: Math.ceil(concurrency / 10) }, loop))
        },
      },
      async close() {
        await client.close()
        sdk.destroy()
        await backend.stop()
      },
    }
  },
}
