import { connect } from 'node:net'
import { isServiceBusError, ServiceBusClient } from '@azure/service-bus'
import rhea from 'rhea'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Faults from the outside world: bad bytes, clients that vanish, an emulator that goes away.
let emulator: ServiceBusEmulator
const survived: unknown[] = []

beforeAll(async () => {
  emulator = await startEmulator({
    maxMessageSize: 4_096,
    // Two of the junk sockets below are closed by this timer; the SDK's own clients must beat it
    // on a loaded machine too, so it is not tight.
    handshakeTimeoutMs: 5_000,
    onError: (e) => survived.push(e),
    config: {
      // Locks of 5 s where a case waits for them to lapse; a minute where none should.
      queues: [
        ...['garbage', 'size', 'outage'].map((name) => ({ name, properties: { lockDurationMs: 60_000 } })),
        { name: 'vanish', properties: { lockDurationMs: 5_000 } },
        { name: 'lapse', properties: { lockDurationMs: 5_000, maxDeliveryCount: 1_000 } },
      ],
    },
  })
})
afterAll(() => emulator?.close())

const manual = { maxAutoLockRenewalDurationInMs: 0 }

async function roundTrip(queue: string, body: string) {
  const client = new ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 5_000 },
  })
  try {
    await client.createSender(queue).sendMessages({ body })
    const receiver = client.createReceiver(queue, manual)
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 3_000 })
    await receiver.completeMessage(m!)
    return m?.body
  } finally {
    await client.close()
  }
}

/** A raw AMQP client on rhea, for what the SDK would never send. */
async function rawConnection() {
  const container = rhea.create_container()
  container.on('error', () => {})
  const connection = container.connect({
    host: emulator.host,
    port: emulator.port,
    reconnect: false,
  } as never)
  await new Promise((resolve) => connection.once('connection_open', resolve))
  return connection
}

describe('servicebus-emulator under faults', () => {
  it('bytes that are not AMQP close that socket and nothing else', async () => {
    const junks = [
      'GET / HTTP/1.1\r\n\r\n', // not AMQP at all
      'AMQP\x00\x01\x00\x00\xff\xff\xff\xff\x02\x00\x00\x00garbage', // a frame that claims 4 GiB
      `AMQP\x03\x01\x00\x00${'x'.repeat(20)}`, // SASL header, then noise
    ]
    for (const junk of junks) {
      const socket = connect(emulator.port, emulator.host)
      socket.on('error', () => {})
      socket.resume() // read, so the server's close is seen
      socket.write(Buffer.from(junk, 'latin1'))
      await new Promise((resolve) => socket.once('close', resolve))
    }
    expect(await roundTrip('garbage', 'still serving')).toBe('still serving')
  }, 60_000)

  it('a client that vanishes with a locked message loses it to the next receiver after the lock', async () => {
    const client = new ServiceBusClient(emulator.connectionString)
    await client.createSender('vanish').sendMessages({ body: 'orphan' })
    await client.close()
    const raw = await rawConnection()
    const receiver = raw.open_receiver({
      source: { address: 'vanish' },
      autoaccept: false,
      credit_window: 1,
    } as never)
    await new Promise((resolve) => receiver.once('message', resolve))
    ;(raw as unknown as { socket: { destroy(): void } }).socket.destroy()
    expect(emulator.broker.receivable('vanish').counts().locked).toBe(1)
    const next = new ServiceBusClient(emulator.connectionString)
    const again = next.createReceiver('vanish', manual)
    const got = []
    const end = Date.now() + 15_000
    while (got.length === 0 && Date.now() < end)
      got.push(...(await again.receiveMessages(1, { maxWaitTimeInMs: 1_000 })))
    expect(got[0]?.body).toBe('orphan')
    expect(got[0]?.deliveryCount).toBe(1)
    await again.completeMessage(got[0]!)
    await next.close()
  })

  it('a message over the size limit is rejected with amqp:link:message-size-exceeded (MessageSizeExceeded in the SDK)', async () => {
    const raw = await rawConnection()
    const sender = raw.open_sender({ target: { address: 'size' } })
    await new Promise((resolve) => sender.once('sendable', resolve))
    const delivery = sender.send({ body: 'x'.repeat(8_192) })
    const outcome = await new Promise<{ error?: { condition: string } }>((resolve) =>
      sender.once('rejected', (context) =>
        resolve((context.delivery as unknown as { remote_state: never }).remote_state),
      ),
    )
    expect(outcome.error?.condition).toBe('amqp:link:message-size-exceeded')
    expect(delivery).toBeDefined()
    raw.close()
    const client = new ServiceBusClient(emulator.connectionString, { retryOptions: { maxRetries: 0 } })
    const error = await client
      .createSender('size')
      .sendMessages({ body: 'y'.repeat(8_192) })
      .catch((e: unknown) => e)
    expect(isServiceBusError(error) && error.code).toBe('MessageSizeExceeded')
    await client.close()
    expect(emulator.broker.receivable('size').messages.size).toBe(0)
  })

  it('stop() drops every client and start() serves the same messages again', async () => {
    const client = new ServiceBusClient(emulator.connectionString, {
      retryOptions: { maxRetries: 2, retryDelayInMs: 200, timeoutInMs: 3_000 },
    })
    const sender = client.createSender('outage')
    await sender.sendMessages({ body: 'before' })
    await emulator.stop()
    const down = await sender.sendMessages({ body: 'during' }).catch((e: unknown) => e)
    expect(down).toBeInstanceOf(Error)
    await emulator.start()
    await sender.sendMessages({ body: 'after' })
    const receiver = client.createReceiver('outage', manual)
    const got: unknown[] = []
    const end = Date.now() + 10_000
    while (got.length < 2 && Date.now() < end) {
      for (const m of await receiver.receiveMessages(2, { maxWaitTimeInMs: 1_000 })) {
        got.push(m.body)
        await receiver.completeMessage(m)
      }
    }
    expect(got).toEqual(['before', 'after'])
    await client.close()
  })

  it('a receiver that lets thousands of locks lapse keeps receiving', async () => {
    // Every unsettled delivery holds a slot in the session (2,048 in rhea): expired ones must
    // give theirs back or this receiver would starve.
    const errorsBefore = survived.length
    const client = new ServiceBusClient(emulator.connectionString)
    try {
      const sender = client.createSender('lapse')
      for (let i = 0; i < 25; i++) {
        const batch = await sender.createMessageBatch()
        for (let j = 0; j < 100; j++) batch.tryAddMessage({ body: i * 100 + j })
        await sender.sendMessages(batch)
      }
      const receiver = client.createReceiver('lapse', manual)
      let deliveries = 0
      let idle = 0
      while (deliveries < 3_000 && idle < 20) {
        const messages = await receiver.receiveMessages(250, { maxWaitTimeInMs: 500 })
        deliveries += messages.length
        idle = messages.length === 0 ? idle + 1 : 0
      }
      expect(deliveries).toBeGreaterThanOrEqual(3_000)
    } finally {
      await client.close()
    }
    expect(survived.slice(errorsBefore)).toEqual([])
  }, 120_000)
})
