import { fileURLToPath } from 'node:url'
import type { ForeignMessage } from '@anyqueue/conformance'
import { type SqsConnection, sqsBackend } from '@anyqueue/conformance/backends'
import { backendConformanceSuite } from '@anyqueue/conformance/vitest'
import {
  GetQueueUrlCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { afterAll } from 'vitest'
import { createSqsDriver } from '../src/index.js'

const rawClients: SQSClient[] = []

/**
 * Another producer on SQS: the raw SDK, with a `content-type` String attribute only when given.
 * SQS bodies are XML text, so bytes that are not such text travel as base64 under
 * `content-transfer-encoding: base64` — the one way any producer can put bytes on SQS for anyqueue.
 */
function rawSqsProducer(connection: SqsConnection) {
  const sqs = new SQSClient(connection)
  rawClients.push(sqs)
  return async (queue: string, message: ForeignMessage): Promise<void> => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queue }))
    const attributes: Record<string, MessageAttributeValue> = {}
    for (const [name, value] of Object.entries(message.attributes ?? {})) {
      attributes[name] = { DataType: 'String', StringValue: value }
    }
    if (message.contentType !== undefined) {
      attributes['content-type'] = { DataType: 'String', StringValue: message.contentType }
    }
    let body: string
    if (typeof message.body === 'string') body = message.body
    else {
      const text = Buffer.from(message.body).toString('utf8')
      if (
        Buffer.from(text, 'utf8').equals(Buffer.from(message.body)) &&
        !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(text)
      ) {
        body = text
      } else {
        body = Buffer.from(message.body).toString('base64')
        attributes['content-transfer-encoding'] = { DataType: 'String', StringValue: 'base64' }
      }
    }
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: body,
        MessageAttributes: Object.keys(attributes).length > 0 ? attributes : undefined,
      }),
    )
  }
}

// The backend is resolved in order: AWS_ENDPOINT_URL_SQS / AWS_ENDPOINT_URL → LocalStack (Docker)
// → moto_server on PATH. A 3 s visibility timeout keeps the lease cases short.
backendConformanceSuite(
  sqsBackend,
  (backend) => ({
    name: 'sqs',
    open: () => createSqsDriver({ clientConfig: backend.connection, leaseSeconds: 3 }),
    // moto's SNS fan-out costs about 25 ms a message and its receives 300 ms a call: 1,000 × 3
    // takes over 4 minutes there. 300 × 3 keeps the case's promise at a third of the volume.
    topicLoadMessages: 300,
    process: {
      module: fileURLToPath(new URL('./target.fixture.mjs', import.meta.url)),
      env: { ANYQUEUE_TARGET_CONFIG: JSON.stringify(backend.connection), ANYQUEUE_LEASE: '3' },
    },
    sendForeign: rawSqsProducer(backend.connection),
    foreignBytes: true,
  }),
  { leaseSeconds: 3 },
)

// Registered after the suite, so it runs before the backend stops (after-hooks run in reverse).
afterAll(() => {
  for (const client of rawClients) client.destroy()
})
