import { QueueClient } from '@anyqueue/queue-core'
import { type ServiceBusEmulator, startEmulator } from '@anyqueue/servicebus-emulator'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { classifyServiceBusError, createServiceBusDriver } from '../src/index.js'

const sbError = (code: string, retryable = false) =>
  Object.assign(new Error(`${code} happened`), { name: 'ServiceBusError', code, retryable })

describe('error classification', () => {
  test.each([
    ['MessagingEntityNotFound', 'QUEUE_NOT_FOUND', false],
    ['UnauthorizedAccess', 'PERMISSION_DENIED', false],
    ['MessageSizeExceeded', 'MESSAGE_TOO_LARGE', false],
    ['ServiceBusy', 'UNAVAILABLE', true],
    ['ServiceTimeout', 'UNAVAILABLE', true],
    ['ServiceCommunicationProblem', 'UNAVAILABLE', true],
    ['QuotaExceeded', 'UNAVAILABLE', true],
  ])('%s → %s, retryable %s', (code, portable, retryable) => {
    const error = classifyServiceBusError(sbError(code))
    expect(error).toMatchObject({ code: portable, retryable, driver: 'servicebus' })
    expect(error?.cause).toBeInstanceOf(Error)
  })

  test('administration (REST) errors by status', () => {
    const rest = (statusCode: number) => Object.assign(new Error('rest'), { name: 'RestError', statusCode })
    expect(classifyServiceBusError(rest(404))).toMatchObject({ code: 'QUEUE_NOT_FOUND' })
    expect(classifyServiceBusError(rest(401))).toMatchObject({ code: 'PERMISSION_DENIED' })
    expect(classifyServiceBusError(rest(503))).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
  })

  test('connection failures are UNAVAILABLE and retryable; anything else is a bug', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    expect(classifyServiceBusError(refused)).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
    expect(classifyServiceBusError(new TypeError('x is undefined'))).toBeUndefined()
  })
})

describe('options', () => {
  const connectionString =
    'Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true'

  test('the lease is Service Bus’s lock duration: 5 to 300 seconds', () => {
    expect(() => createServiceBusDriver({ connectionString, leaseSeconds: 4 })).toThrow(/leaseSeconds/)
    expect(() => createServiceBusDriver({ connectionString, leaseSeconds: 301 })).toThrow(/leaseSeconds/)
    expect(createServiceBusDriver({ connectionString }).leaseSeconds).toBe(30)
  })

  test('a connection string or a client is required; the prefix is validated and applied', () => {
    expect(() => createServiceBusDriver({})).toThrow(/connectionString/)
    expect(() => createServiceBusDriver({ connectionString, prefix: 'has space' })).toThrow(/prefix/)
    expect(createServiceBusDriver({ connectionString, prefix: 'prod-' }).backendName('orders')).toBe(
      'prod-orders',
    )
  })

  test('receipt handles are lock tokens', () => {
    const driver = createServiceBusDriver({ connectionString })
    expect(driver.isReceiptHandle('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(true)
    expect(driver.isReceiptHandle('not-a-lock-token')).toBe(false)
  })
})

describe('against @anyqueue/servicebus-emulator', () => {
  let emulator: ServiceBusEmulator
  const clients: QueueClient[] = []
  // rhea reports frames it cannot make sense of (a disposition without an outcome, …) on console.error.
  const rheaComplaints = vi.spyOn(console, 'error')
  beforeAll(async () => {
    emulator = await startEmulator()
  })
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()))
    await emulator?.close()
    expect(rheaComplaints.mock.calls).toEqual([])
  })
  // A minute's lease: no case here is about expiry, and a loaded machine must not lose a lease
  // between a receive and its settlement.
  const open = (leaseSeconds = 60) => {
    const client = new QueueClient(
      createServiceBusDriver({
        connectionString: emulator.connectionString,
        admin: emulator.admin,
        leaseSeconds,
      }),
    )
    clients.push(client)
    return client
  }
  let n = 0
  const newQueue = async (client: QueueClient) => {
    const name = `q${++n}`
    await client.createQueue(name)
    return client.queue<number>(name)
  }

  test('acks and nacks issued together on one receiver each do what they say', async () => {
    // rhea coalesces dispositions into ranges with one outcome: without the driver's settlement
    // lane, some nacks would complete their message (lost) and some acks abandon theirs.
    const queue = await newQueue(open())
    for (let round = 0; round < 5; round++) {
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: round * 10 + i })))
      const got = await queue.receive({ maxMessages: 10, waitSeconds: 20 })
      expect(got).toHaveLength(10)
      const odd = got.filter((m) => m.payload % 2 === 1)
      await Promise.all(got.map((m) => (m.payload % 2 === 1 ? queue.nack(m) : queue.ack(m))))
      const back: number[] = []
      const end = Date.now() + 30_000
      while (back.length < odd.length && Date.now() < end) {
        const again = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
        back.push(...again.map((m) => m.payload))
        await queue.ackBatch(again)
      }
      expect(back.sort((a, b) => a - b)).toEqual(odd.map((m) => m.payload).sort((a, b) => a - b))
    }
  }, 120_000)

  test('a message received by one driver is acked by another, through $management', async () => {
    const first = open()
    const queue = await newQueue(first)
    await queue.send(7)
    const [message] = await queue.receive({ maxMessages: 1, waitSeconds: 20 })
    const other = open().queue<number>(queue.name)
    await other.ack(message!.receiptHandle)
    await other.ack(message!.receiptHandle) // twice: a no-op
    await other.renewLease(message!.receiptHandle) // gone: a no-op
    expect(emulator.broker.receivable(queue.name).counts()).toEqual({
      active: 0,
      deferred: 0,
      scheduled: 0,
      locked: 0,
    })
  })

  test('a nack with a delay reschedules the message and keeps its id, attempt count and enqueue time', async () => {
    const queue = await newQueue(open())
    const { id } = await queue.send(1)
    const [first] = await queue.receive({ maxMessages: 1, waitSeconds: 20 })
    // Not back before its delay, however long this takes: timed from before the nack was asked.
    const nacked = Date.now()
    await queue.nack(first!, { delaySeconds: 2 })
    const [second] = await queue.receive({ maxMessages: 1, waitSeconds: 20 })
    expect(Date.now() - nacked).toBeGreaterThanOrEqual(2_000)
    expect(second).toMatchObject({ id, attempt: 2, attributes: {} })
    expect(second!.enqueuedAt.getTime()).toBe(first!.enqueuedAt.getTime())
    await queue.nack(second!)
    const [third] = await queue.receive({ maxMessages: 1, waitSeconds: 20 })
    expect(third).toMatchObject({ id, attempt: 3 })
    await queue.ack(third!)
  })

  test('ten 64 KiB messages go out in as many Service Bus batches as they need, in order', async () => {
    const queue = open().queue<string>((await newQueue(open())).name)
    const big = (i: number) => String(i).padEnd(65_530, 'x')
    const results = await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: big(i) })))
    expect(results.filter((r) => r.ok)).toHaveLength(10)
    const seen = new Set<string>()
    const end = Date.now() + 30_000
    while (seen.size < 10 && Date.now() < end) {
      const got = await queue.receive({ maxMessages: 10, waitSeconds: 2 })
      for (const m of got) seen.add(m.payload)
      await queue.ackBatch(got)
    }
    expect(seen).toEqual(new Set(Array.from({ length: 10 }, (_, i) => big(i))))
  })
})
