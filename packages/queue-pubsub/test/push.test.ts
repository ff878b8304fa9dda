import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type Backend,
  inCI,
  type PubSubConnection,
  pubsubBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import {
  DEAD_LETTER_ATTRIBUTES,
  type Handler,
  type Message,
  QueueClient,
  type StandardSchemaV1,
} from '@anyqueue/queue-core'
import { PubSub } from '@google-cloud/pubsub'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import {
  createPubSubDriver,
  createPubSubPushHandler,
  type PubSubPushOptions,
  toNodeListener,
} from '../src/index.js'

// The push handler behind a real push subscription of Google's emulator, which POSTs each message
// to a local node:http server (toNodeListener) and redelivers on any answer but 2xx.
let backend: Backend<PubSubConnection> | undefined
let skipReason: string | undefined
let raw: PubSub
let client: QueueClient
const PREFIX = 'aq-'
const cleanup: Array<() => Promise<unknown>> = []

beforeAll(async () => {
  try {
    backend = await resolveBackend(pubsubBackend)
  } catch (error) {
    if (inCI()) throw error
    skipReason = (error as Error).message
    return
  }
  raw = new PubSub(backend.connection)
  client = new QueueClient(
    createPubSubDriver({ clientConfig: backend.connection, leaseSeconds: 60, prefix: PREFIX }),
  )
}, 120_000)

afterAll(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {})
  await client?.close()
  await raw?.close()
  await backend?.stop()
})

interface Job {
  n: number
}

/** A queue, its handler served over HTTP, and a push subscription (with a dead-letter policy) to it. */
async function pushed(
  skip: (note?: string) => void,
  handler: Handler<Job>,
  options: PubSubPushOptions<Job> = {},
) {
  if (skipReason) skip(skipReason)
  const name = `push-${randomBytes(4).toString('hex')}`
  await client.createQueue(name)
  cleanup.push(
    () => client.deleteQueue(name),
    () => client.deleteQueue(`${name}-dlq`),
  )
  const queue = client.queue<Job>(name)
  const server: Server = createServer(
    toNodeListener(createPubSubPushHandler(queue, handler, { backoff: () => 0, ...options })),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(() => new Promise((resolve) => server.close(resolve)))
  const port = (server.address() as AddressInfo).port
  const topic = raw.topic(`${PREFIX}${name}`)
  const deadTopic = raw.topic(`${PREFIX}${name}-push-dead`)
  await deadTopic.create()
  cleanup.push(() => deadTopic.delete())
  const [subscription] = await topic.createSubscription(`${PREFIX}${name}-push`, {
    pushConfig: { pushEndpoint: `http://127.0.0.1:${port}/push` },
    ackDeadlineSeconds: 10,
    deadLetterPolicy: { deadLetterTopic: deadTopic.name, maxDeliveryAttempts: 10 },
    retryPolicy: { minimumBackoff: { seconds: 0 }, maximumBackoff: { seconds: 1 } },
  })
  cleanup.push(() => subscription.delete())
  return { queue, topic, dlq: client.queue(`${name}-dlq`) }
}

const eventually = (check: () => void | Promise<void>) =>
  vi.waitFor(check, { timeout: 45_000, interval: 100 })

async function receiveAll(queue: ReturnType<QueueClient['queue']>, count: number): Promise<Message[]> {
  const got: Message[] = []
  await eventually(async () => {
    for (const m of await queue.receive({ maxMessages: 10, waitSeconds: 1 })) {
      got.push(m)
      await queue.ack(m)
    }
    expect(got.length).toBeGreaterThanOrEqual(count)
  })
  return got
}

describe('createPubSubPushHandler behind a push subscription of the emulator', () => {
  test('a failing message alone is nacked and redelivered with attempt 2; the others are acked once', async ({
    skip,
  }) => {
    const seen: Array<[number, number]> = []
    const { queue } = await pushed(skip, (m) => {
      seen.push([m.payload.n, m.attempt])
      if (m.payload.n === 2 && m.attempt === 1) throw new Error('not yet')
    })
    for (const n of [1, 2, 3]) await queue.send({ n })
    await eventually(() => expect(seen).toContainEqual([2, 2]))
    expect(seen.filter(([n]) => n !== 2).sort()).toEqual([
      [1, 1],
      [3, 1],
    ])
  })

  test('a poison message reaches <name>-dlq after maxAttempts with its reason', async ({ skip }) => {
    const { queue, dlq } = await pushed(
      skip,
      (m) => {
        if (m.payload.n === 1) throw new Error('poison')
      },
      { maxAttempts: 3 },
    )
    await queue.send({ n: 1 })
    const [dead] = await receiveAll(dlq, 1)
    expect(dead!.payload).toEqual({ n: 1 })
    expect(dead!.attributes).toMatchObject({
      [DEAD_LETTER_ATTRIBUTES.reason]: 'failed 3 times, last: Error: poison',
      [DEAD_LETTER_ATTRIBUTES.attempts]: '3',
      [DEAD_LETTER_ATTRIBUTES.source]: queue.name,
    })
  })

  test('an undecodable or schema-invalid message is dead-lettered at once; the handler never sees it', async ({
    skip,
  }) => {
    const schema: StandardSchemaV1<unknown, Job> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (v) =>
          typeof (v as Job)?.n === 'number'
            ? { value: v as Job }
            : { issues: [{ message: 'n is required' }] },
      },
    }
    const seen: Job[] = []
    const { queue, topic, dlq } = await pushed(skip, (m) => void seen.push(m.payload), { schema })
    await topic.publishMessage({
      data: Buffer.from('{not json'),
      attributes: { 'content-type': 'application/json' },
    })
    await queue.send({ wrong: true } as never)
    const dead = await receiveAll(dlq, 2)
    expect(dead.map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.reason]).sort()).toEqual([
      expect.stringMatching(/^INVALID_PAYLOAD: .*is not valid JSON/),
      'invalid payload: n is required',
    ])
    expect(dead.map((m) => m.attributes[DEAD_LETTER_ATTRIBUTES.attempts])).toEqual(['1', '1'])
    expect(seen).toEqual([])
  })

  test('a slow handler is aborted before the ack deadline, nacked, and retried', async ({ skip }) => {
    const reasons: unknown[] = []
    const done: number[] = []
    const { queue } = await pushed(
      skip,
      (m, { signal }) =>
        m.attempt > 1
          ? void done.push(m.attempt)
          : new Promise((_, reject) =>
              signal.addEventListener('abort', () => {
                reasons.push(signal.reason)
                reject(signal.reason)
              }),
            ),
      { settleMarginMs: 9_500 },
    )
    await queue.send({ n: 1 })
    await eventually(() => expect(done).toEqual([2]))
    expect((reasons[0] as DOMException).name).toBe('TimeoutError')
  })
})
