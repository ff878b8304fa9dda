import { randomBytes } from 'node:crypto'
import type { TriggerTarget } from '@anyqueue/conformance'
import {
  type Backend,
  inCI,
  resolveBackend,
  type SqsConnection,
  sqsBackend,
} from '@anyqueue/conformance/backends'
import { triggerConformanceSuite } from '@anyqueue/conformance/vitest'
import { QueueClient } from '@anyqueue/queue-core'
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { afterAll } from 'vitest'
import { createSqsDriver, createSqsLambdaHandler } from '../src/index.js'
import { deliverOnce } from './event-source-mapping.js'

// The trigger conformance section for the Lambda handler on moto: the runner is the handler, invoked
// by `deliverOnce` as an event source mapping would, in a loop until the case stops it.
let backend: Backend<SqsConnection> | undefined
let raw: SQSClient | undefined
let client: QueueClient | undefined

afterAll(async () => {
  await client?.close()
  raw?.destroy()
  await backend?.stop()
})

triggerConformanceSuite('sqs lambda handler', async (): Promise<TriggerTarget | string> => {
  try {
    backend = await resolveBackend(sqsBackend)
  } catch (error) {
    if (inCI()) throw error
    return (error as Error).message
  }
  const sqs = new SQSClient(backend.connection)
  const opened = new QueueClient(createSqsDriver({ clientConfig: backend.connection, leaseSeconds: 120 }))
  raw = sqs
  client = opened
  return {
    name: 'sqs lambda handler',
    async open() {
      const name = `lamc-${randomBytes(4).toString('hex')}`
      await opened.createQueue(name)
      const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!
      const queue = opened.queue(name)
      return {
        queue,
        deadLetterQueue: opened.queue(`${name}-dlq`),
        sendUndecodable: async () => {
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: url,
              MessageBody: '{not json',
              MessageAttributes: { 'content-type': { DataType: 'String', StringValue: 'application/json' } },
            }),
          )
        },
        async start(handler, options) {
          const lambda = createSqsLambdaHandler(queue, handler, options)
          let stopped = false
          const loop = (async () => {
            while (!stopped) await deliverOnce(sqs, url, lambda)
          })()
          return {
            async stop() {
              stopped = true
              await loop
            },
          }
        },
        async close() {
          await opened.deleteQueue(name)
          await opened.deleteQueue(`${name}-dlq`)
        },
      }
    },
  }
})
