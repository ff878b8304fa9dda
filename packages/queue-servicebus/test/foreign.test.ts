import { randomBytes } from 'node:crypto'
import { type Message, type Queue, QueueClient } from '@anyqueue/queue-core'
import { type ServiceBusEmulator, startEmulator } from '@anyqueue/servicebus-emulator'
import { ServiceBusClient } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { createServiceBusDriver } from '../src/index.js'

// Both directions between anyqueue and the raw @azure/service-bus SDK, on our emulator. The generic
// foreign cases run in conformance.test.ts; these are Service Bus's own typed bodies and properties.
let emulator: ServiceBusEmulator
let raw: ServiceBusClient
let client: QueueClient

beforeAll(async () => {
  emulator = await startEmulator()
  raw = new ServiceBusClient(emulator.connectionString)
  client = new QueueClient(
    createServiceBusDriver({
      connectionString: emulator.connectionString,
      admin: emulator.admin,
      leaseSeconds: 60, // no case here waits for a lease; none may lapse on a loaded machine
    }),
  )
}, 60_000)

afterAll(async () => {
  await client?.close()
  await raw?.close()
  await emulator?.close()
})

async function freshQueue(): Promise<Queue> {
  const name = `aq-foreign-${randomBytes(4).toString('hex')}`
  await client.createQueue(name)
  return client.queue(name)
}

async function sendRaw(
  queue: Queue,
  message: Parameters<ReturnType<ServiceBusClient['createSender']>['sendMessages']>[0],
) {
  const sender = raw.createSender(queue.name)
  try {
    await sender.sendMessages(message)
  } finally {
    await sender.close()
  }
}

async function receiveOne(queue: Queue): Promise<Message> {
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

describe('servicebus: a raw SDK consumer reads what anyqueue sent', () => {
  test('the body as bytes of plain JSON or text, content type and application properties as sent', async () => {
    const queue = await freshQueue()
    await queue.send({ order: 17, note: 'é' }, { attributes: { team: 'billing' } })
    await queue.send('"quoted" text')
    const receiver = raw.createReceiver(queue.name, {
      receiveMode: 'receiveAndDelete',
      skipParsingBodyAsJson: true,
    })
    try {
      const got = []
      const end = Date.now() + 30_000
      while (got.length < 2 && Date.now() < end)
        got.push(...(await receiver.receiveMessages(2, { maxWaitTimeInMs: 2_000 })))
      const json = got.find((m) => m.contentType === 'application/json')!
      expect(JSON.parse(Buffer.from(json.body).toString('utf8'))).toEqual({ order: 17, note: 'é' })
      expect(json.applicationProperties).toEqual({ team: 'billing' })
      const text = got.find((m) => m.contentType === 'text/plain; charset=utf-8')!
      expect(Buffer.from(text.body).toString('utf8')).toBe('"quoted" text')
    } finally {
      await receiver.close()
    }
  })
})

describe('servicebus: what another producer sends arrives as the README maps it', () => {
  test('value sections holding JSON values arrive as those values', async () => {
    const queue = await freshQueue()
    const values = [
      { order: 17, items: [1, 'two', null, true] },
      [1, 2.5],
      42,
      'a "value" string',
      false,
      null,
    ]
    for (const body of values) await sendRaw(queue, { body, bodyType: 'value' } as never)
    const got: unknown[] = []
    for (let i = 0; i < values.length; i++) got.push((await receiveOne(queue)).payload)
    expect(got).toEqual(values)
  })

  test('a value section holding a Date is undecodable, its raw body the value with the Date tagged', async () => {
    const queue = await freshQueue()
    await sendRaw(queue, { body: { at: new Date(0) }, bodyType: 'value' } as never)
    const m = await receiveOne(queue)
    expect(m.decodeError?.message).toMatch(/holds a Date \(an AMQP timestamp\) at the value section\.at/)
    expect(JSON.parse(Buffer.from(m.rawBody!).toString())).toEqual({
      at: { $date: '1970-01-01T00:00:00.000Z' },
    })
  })

  test('a binary data section that is not UTF-8 is undecodable with its exact bytes', async () => {
    const queue = await freshQueue()
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef])
    await sendRaw(queue, { body: bytes })
    const m = await receiveOne(queue)
    expect(m.decodeError?.message).toMatch(/not valid UTF-8/)
    expect(Buffer.from(m.rawBody!)).toEqual(bytes)
  })

  test("the SDK's default body (JSON in a data section, no content type) arrives as the value it sent", async () => {
    const queue = await freshQueue()
    // The SDK JSON-encodes every body that is not bytes, strings included: 'hello' travels as "hello".
    for (const body of [{ order: 17 }, 'hello', 42, [true, null]]) await sendRaw(queue, { body })
    await sendRaw(queue, { body: 'text', contentType: 'application/json' })
    await sendRaw(queue, { body: Buffer.from('raw words, not JSON') })
    const got = []
    for (let i = 0; i < 6; i++) got.push((await receiveOne(queue)).payload)
    expect(got).toEqual([{ order: 17 }, 'hello', 42, [true, null], 'text', 'raw words, not JSON'])
  })

  test("untypedBody: 'text' (the SDK's skipParsingBodyAsJson) keeps an unmarked body as its exact text", async () => {
    const queue = await freshQueue()
    const textClient = new QueueClient(
      createServiceBusDriver({
        connectionString: emulator.connectionString,
        admin: emulator.admin,
        leaseSeconds: 60,
        untypedBody: 'text',
      }),
    )
    try {
      await sendRaw(queue, { body: { order: 17 } })
      await sendRaw(queue, { body: 'hello' })
      const q = textClient.queue(queue.name)
      expect([(await receiveOne(q)).payload, (await receiveOne(q)).payload]).toEqual([
        '{"order":17}',
        '"hello"',
      ])
    } finally {
      await textClient.close()
    }
  })

  test('typed application properties map to strings by the rule; none is dropped', async () => {
    const queue = await freshQueue()
    await sendRaw(queue, {
      body: Buffer.from('typed'),
      applicationProperties: {
        n: 1.5,
        big: 9007199254740991,
        yes: true,
        at: new Date(0),
        none: null,
        s: 'x',
      },
    })
    const m = await receiveOne(queue)
    expect(m.attributes).toEqual({
      n: '1.5',
      big: '9007199254740991',
      yes: 'true',
      at: '1970-01-01T00:00:00.000Z',
      none: '',
      s: 'x',
    })
  })

  test("another producer's content-attempts-before is delivered as an attribute, not swallowed", async () => {
    const queue = await freshQueue()
    await sendRaw(queue, {
      body: Buffer.from('mine'),
      applicationProperties: { 'content-attempts-before': 'seven' },
    })
    const m = await receiveOne(queue)
    expect(m.attempt).toBe(1)
    expect(m.attributes).toEqual({ 'content-attempts-before': 'seven' })
  })

  test('a delayed nack of a value-section message keeps it a value', async () => {
    const queue = await freshQueue()
    await sendRaw(queue, { body: { keep: ['me'] }, bodyType: 'value' } as never)
    const [first] = await queue.receive({ waitSeconds: 20 })
    expect(first!.payload).toEqual({ keep: ['me'] })
    await queue.nack(first!, { delaySeconds: 1 })
    const again = await receiveOne(queue)
    expect(again.payload).toEqual({ keep: ['me'] })
    expect(again.attempt).toBe(2)
  })

  test('a 200 KiB message from another producer is delivered intact', async () => {
    const queue = await freshQueue()
    const big = 'w'.repeat(200 * 1024)
    await sendRaw(queue, { body: Buffer.from(big) })
    expect((await receiveOne(queue)).payload === big).toBe(true)
  })
})
