import { randomBytes } from 'node:crypto'
import {
  type Backend,
  inCI,
  type PubSubConnection,
  pubsubBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import { type Message, QueueClient } from '@anyqueue/queue-core'
import { PubSub } from '@google-cloud/pubsub'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createPubSubDriver } from '../src/index.js'

// Both directions between anyqueue and the raw Pub/Sub client, on the backend the conformance suite
// resolves. The generic foreign cases run in conformance.test.ts; these are Pub/Sub's own.
let backend: Backend<PubSubConnection> | undefined
let skipReason: string | undefined
let raw: PubSub
let client: QueueClient
const queues: string[] = []
/** Topic and subscription ids are this prefix, then the portable name. */
const PREFIX = 'aq-'

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
    // No case here waits for a lease to lapse; on a loaded machine a short one could.
    createPubSubDriver({ clientConfig: backend.connection, leaseSeconds: 60, prefix: PREFIX }),
  )
}, 120_000)

afterAll(async () => {
  for (const name of queues) await client?.deleteQueue(name).catch(() => {})
  await client?.close()
  await raw?.close()
  await backend?.stop()
})

async function freshQueue() {
  const name = `aq-foreign-${randomBytes(4).toString('hex')}`
  await client.createQueue(name)
  queues.push(name)
  return client.queue(name)
}

async function receiveOne(queue: ReturnType<QueueClient['queue']>): Promise<Message> {
  const end = Date.now() + 30_000
  while (Date.now() < end) {
    const [m] = await queue.receive({ waitSeconds: 2 })
    if (m) {
      await queue.ack(m)
      return m
    }
  }
  throw new Error('no message arrived')
}

describe('pubsub: a raw client reads what anyqueue sent', () => {
  test('data as UTF-8 text or JSON, content type and attributes as attributes', { timeout: 60_000 }, async ({
    skip,
  }) => {
    if (skipReason) return skip(skipReason)
    const queue = await freshQueue()
    // A second subscription on the driver's topic reads the same messages.
    const spy = `${PREFIX}${queue.name}-raw`
    await raw.topic(PREFIX + queue.name).createSubscription(spy)
    const subscription = raw.subscription(spy)
    try {
      await queue.send({ order: 17, note: 'é' }, { attributes: { team: 'billing' } })
      const got = await new Promise<{ data: Buffer; attributes: Record<string, string> }>(
        (resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the raw subscriber got nothing')), 30_000)
          subscription.once('message', (m) => {
            clearTimeout(timer)
            m.ack()
            resolve({ data: m.data, attributes: m.attributes })
          })
          subscription.once('error', reject)
        },
      )
      expect(JSON.parse(got.data.toString('utf8'))).toEqual({ order: 17, note: 'é' })
      expect(got.attributes).toMatchObject({ 'content-type': 'application/json', team: 'billing' })
    } finally {
      await subscription.close()
      await subscription.delete().catch(() => {})
    }
  })
})

describe('pubsub: what another producer publishes arrives as the README maps it', () => {
  test('publishMessage({ json }) sets no content type: it arrives as the value it published', async ({
    skip,
  }) => {
    if (skipReason) return skip(skipReason)
    const queue = await freshQueue()
    const topic = raw.topic(PREFIX + queue.name)
    await topic.publishMessage({ json: { order: 17, items: [1, 2] }, attributes: { n: '1' } })
    await topic.publishMessage({ data: Buffer.from('plain words'), attributes: { n: '2' } })
    const got = [await receiveOne(queue), await receiveOne(queue)]
    expect(got.find((m) => m.attributes.n === '1')!.payload).toEqual({ order: 17, items: [1, 2] })
    expect(got.find((m) => m.attributes.n === '2')!.payload).toBe('plain words')
  })

  test("untypedBody: 'text' keeps an unmarked body as its exact text", async ({ skip }) => {
    if (skipReason) return skip(skipReason)
    const queue = await freshQueue()
    const textClient = new QueueClient(
      createPubSubDriver({
        clientConfig: backend!.connection,
        leaseSeconds: 60,
        prefix: PREFIX,
        untypedBody: 'text',
      }),
    )
    try {
      expect(textClient.driver.capabilities.untypedBody).toBe('text')
      await raw.topic(PREFIX + queue.name).publishMessage({ json: { order: 17 } })
      const m = await receiveOne(textClient.queue(queue.name))
      expect(m.payload).toBe('{"order":17}')
    } finally {
      await textClient.close()
    }
  })

  test('with a content-type attribute it arrives as the JSON value', async ({ skip }) => {
    if (skipReason) return skip(skipReason)
    const queue = await freshQueue()
    await raw
      .topic(PREFIX + queue.name)
      .publishMessage({ json: { order: 17 }, attributes: { 'content-type': 'application/json' } })
    expect((await receiveOne(queue)).payload).toEqual({ order: 17 })
  })

  test('binary data that is not UTF-8 is undecodable with its exact bytes, never U+FFFD', async ({
    skip,
  }) => {
    if (skipReason) return skip(skipReason)
    const queue = await freshQueue()
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff])
    await raw.topic(PREFIX + queue.name).publishMessage({ data: bytes })
    const m = await receiveOne(queue)
    expect(m.decodeError?.message).toMatch(/not valid UTF-8/)
    expect(Buffer.from(m.rawBody!)).toEqual(bytes)
  })

  test('a 1 MiB message from another producer is delivered intact', { timeout: 60_000 }, async ({ skip }) => {
    if (skipReason) return skip(skipReason)
    const queue = await freshQueue()
    const big = 'z'.repeat(1024 * 1024)
    await raw.topic(PREFIX + queue.name).publishMessage({ data: Buffer.from(big) })
    expect((await receiveOne(queue)).payload === big).toBe(true)
  })
})
