import { randomBytes } from 'node:crypto'
import {
  type Backend,
  inCI,
  resolveBackend,
  type SqsConnection,
  sqsBackend,
} from '@anyqueue/conformance/backends'
import { consume, type Message, QueueClient } from '@anyqueue/queue-core'
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createSqsDriver } from '../src/index.js'

// Both directions between anyqueue and the raw AWS SDK, on the same backend the conformance suite
// resolves. The generic foreign cases run in conformance.test.ts; these are SQS's own types.
let backend: Backend<SqsConnection> | undefined
let skipReason: string | undefined
let raw: SQSClient
let client: QueueClient
const queues: string[] = []

beforeAll(async () => {
  try {
    backend = await resolveBackend(sqsBackend)
  } catch (error) {
    if (inCI()) throw error
    skipReason = (error as Error).message
    return
  }
  raw = new SQSClient(backend.connection)
  // No case here waits for a lease to lapse; with moto's latency under load, a short one could.
  client = new QueueClient(createSqsDriver({ clientConfig: backend.connection, leaseSeconds: 60 }))
}, 60_000)

afterAll(async () => {
  for (const name of queues) await client?.deleteQueue(name).catch(() => {})
  await client?.close()
  raw?.destroy()
  await backend?.stop()
})

async function freshQueue() {
  const name = `aq-foreign-${randomBytes(4).toString('hex')}`
  await client.createQueue(name)
  queues.push(name)
  const { QueueUrl } = await raw.send(new GetQueueUrlCommand({ QueueName: name }))
  return { queue: client.queue(name), url: QueueUrl! }
}

async function receiveOne(queue: ReturnType<QueueClient['queue']>): Promise<Message> {
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    const [m] = await queue.receive({ waitSeconds: 2 })
    if (m) return m
  }
  throw new Error('no message arrived')
}

describe('sqs: a raw SDK consumer reads what anyqueue sent', () => {
  test('body as plain text or JSON, content type and attributes as String attributes', async ({ skip }) => {
    if (skipReason) return skip(skipReason)
    const { queue, url } = await freshQueue()
    await queue.send({ order: 17, note: 'é' }, { attributes: { team: 'billing' } })
    await queue.send('plain text')
    const got = []
    const end = Date.now() + 30_000
    while (got.length < 2 && Date.now() < end) {
      const reply = await raw.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
        }),
      )
      for (const m of reply.Messages ?? []) {
        got.push(m)
        await raw.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }))
      }
    }
    const json = got.find((m) => m.Body?.startsWith('{'))!
    expect(JSON.parse(json.Body!)).toEqual({ order: 17, note: 'é' })
    expect(json.MessageAttributes?.['content-type']).toMatchObject({
      DataType: 'String',
      StringValue: 'application/json',
    })
    expect(json.MessageAttributes?.team).toMatchObject({ DataType: 'String', StringValue: 'billing' })
    const text = got.find((m) => m.Body === 'plain text')!
    expect(text.MessageAttributes?.['content-type']?.StringValue).toBe('text/plain; charset=utf-8')
  })
})

/** A message another producer sends with SQS's own attribute types, and what anyqueue makes of it. */
interface ForeignSend {
  name: string
  body: string
  attributes: Record<string, MessageAttributeValue>
  check(m: Message): void
}

const foreignSends: ForeignSend[] = [
  {
    name: 'Number and Binary attributes arrive as strings (the number as sent, the bytes in base64), none dropped',
    body: 'typed attributes',
    attributes: {
      count: { DataType: 'Number', StringValue: '1.50' },
      price: { DataType: 'Number.eur', StringValue: '-3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 254, 255]) },
      label: { DataType: 'String.tag', StringValue: 'x' },
    },
    check(m) {
      expect(m.payload).toBe('typed attributes')
      expect(m.attributes).toEqual({ count: '1.50', price: '-3', blob: 'AAH+/w==', label: 'x' })
    },
  },
  {
    name: 'content-transfer-encoding: base64 over a body that is not base64 is undecodable, never garbled',
    body: 'not base64 at all!',
    attributes: { 'content-transfer-encoding': { DataType: 'String', StringValue: 'base64' } },
    check(m) {
      expect(m.decodeError?.message).toMatch(/content-transfer-encoding: base64 but is not base64/)
      expect(Buffer.from(m.rawBody!).toString()).toBe('not base64 at all!')
    },
  },
  {
    name: 'another content-transfer-encoding is not ours: it is delivered as an attribute, the body as text',
    body: 'eA==',
    attributes: { 'content-transfer-encoding': { DataType: 'String', StringValue: '7bit' } },
    check(m) {
      expect(m.payload).toBe('eA==')
      expect(m.attributes).toEqual({ 'content-transfer-encoding': '7bit' })
    },
  },
]

describe('sqs: what another producer sends arrives as the README maps it', () => {
  for (const { name, body, attributes, check } of foreignSends) {
    test(name, async ({ skip }) => {
      if (skipReason) return skip(skipReason)
      const { queue, url } = await freshQueue()
      await raw.send(
        new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageAttributes: attributes }),
      )
      const m = await receiveOne(queue)
      await queue.ack(m)
      check(m)
    })
  }

  test('a 200 KiB message from another producer is delivered intact, and consume() can dead-letter a bad one', async ({
    skip,
  }) => {
    if (skipReason) return skip(skipReason)
    const { queue, url } = await freshQueue()
    const big = 'y'.repeat(200 * 1024)
    await raw.send(new SendMessageCommand({ QueueUrl: url, MessageBody: big }))
    const m = await receiveOne(queue)
    await queue.ack(m)
    expect(m.payload === big).toBe(true)
    // and an undecodable one goes to the dead-letter queue with its reason, not to the handler
    const dlq = await freshQueue()
    await raw.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"half":',
        MessageAttributes: { 'content-type': { DataType: 'String', StringValue: 'application/json' } },
      }),
    )
    const handled: unknown[] = []
    const consumer = consume(queue, (message) => void handled.push(message.payload), {
      deadLetterQueue: dlq.queue,
      waitSeconds: 1,
      onError: () => {},
    })
    const dead = await receiveOne(dlq.queue)
    await consumer.stop()
    await dlq.queue.ack(dead)
    expect(handled).toEqual([])
    expect(dead.payload).toBe('{"half":')
    expect(dead.attributes['dlq-reason']).toMatch(/^INVALID_PAYLOAD: .*not valid JSON/)
    expect(dead.attributes['dlq-content-type']).toBe('application/json')
  })
})
