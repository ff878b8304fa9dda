import { randomUUID } from 'node:crypto'
import { isServiceBusError, ServiceBusClient, type ServiceBusReceivedMessage } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Every behaviour is driven through the official SDK, as users will drive it.
let emulator: ServiceBusEmulator
let client: ServiceBusClient
const errors: unknown[] = []
// The SDK renews locks on its own unless told not to; lock expiry is what these cases test.
const manual = { maxAutoLockRenewalDurationInMs: 0 }

// rhea reports frames it cannot make sense of (a disposition without an outcome, …) on console.error.
const rheaComplaints = vi.spyOn(console, 'error')

beforeAll(async () => {
  emulator = await startEmulator({
    onError: (e) => errors.push(e),
    config: {
      topics: [
        {
          name: 'orders',
          subscriptions: [
            { name: 'all' },
            {
              name: 'priority',
              rules: [{ type: 'correlation', system: { subject: 'urgent' }, properties: { region: 'eu' } }],
            },
          ],
        },
      ],
    },
  })
  client = new ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
  })
})

afterAll(async () => {
  await client?.close()
  await emulator?.close()
  expect(errors).toEqual([])
  expect(rheaComplaints.mock.calls).toEqual([])
})

// A minute's lock (Service Bus's default): a loaded machine cannot stall past it between receiving
// and settling. Cases about lock expiry ask for the shortest lock, PT5S, and wait for it on purpose.
async function newQueue(options: Parameters<ServiceBusEmulator['admin']['createQueue']>[1] = {}) {
  const name = `q-${randomUUID().slice(0, 8)}`
  await emulator.admin.createQueue(name, { lockDuration: 'PT1M', ...options })
  return name
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function receiveAll(queue: string, count: number, subQueueType?: 'deadLetter') {
  const receiver = client.createReceiver(queue, subQueueType ? { subQueueType, ...manual } : manual)
  const out: ServiceBusReceivedMessage[] = []
  const end = Date.now() + 15_000
  while (out.length < count && Date.now() < end) {
    out.push(...(await receiver.receiveMessages(count - out.length, { maxWaitTimeInMs: 1_000 })))
  }
  return { receiver, messages: out }
}

async function expectCode(promise: Promise<unknown>, code: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(isServiceBusError(error) ? error.code : error).toBe(code)
}

describe.concurrent('servicebus-emulator through @azure/service-bus', () => {
  it('sends and receives a message with its body, properties and broker stamps', async () => {
    const queue = await newQueue()
    const sender = client.createSender(queue)
    await sender.sendMessages({
      body: { order: 7 },
      applicationProperties: { tenant: 'acme', n: 3 },
      subject: 'created',
      correlationId: 'c-1',
      contentType: 'application/json',
    })
    const { receiver, messages } = await receiveAll(queue, 1)
    const [m] = messages
    expect(m?.body).toEqual({ order: 7 })
    expect(m?.applicationProperties).toEqual({ tenant: 'acme', n: 3 })
    expect([m?.subject, m?.correlationId, m?.contentType]).toEqual(['created', 'c-1', 'application/json'])
    expect(m?.sequenceNumber?.toNumber()).toBe(1)
    expect(m?.deliveryCount).toBe(0)
    expect(m?.messageId).toMatch(/^[0-9a-f-]{36}$/)
    expect(m?.lockToken).toMatch(/^[0-9a-f-]{36}$/)
    expect(m!.lockedUntilUtc!.getTime()).toBeGreaterThan(Date.now())
    expect(m!.enqueuedTimeUtc!.getTime()).toBeLessThanOrEqual(Date.now())
    await receiver.completeMessage(m!)
  })

  it('keeps property types as sent: a Date stays a timestamp, through the broker and the DLQ', async () => {
    const queue = await newQueue()
    const when = new Date('2024-05-06T07:08:09.010Z')
    await client.createSender(queue).sendMessages({
      body: 'typed',
      applicationProperties: { when, negative: -2, big: 2 ** 40, flag: false },
    })
    // skipConvertingDate: the SDK hands timestamps over as Dates instead of numbers.
    const receiver = client.createReceiver(queue, { skipConvertingDate: true, ...manual })
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 })
    expect(m?.applicationProperties?.when).toBeInstanceOf(Date)
    expect(m?.applicationProperties?.when).toEqual(when)
    expect(m?.applicationProperties).toMatchObject({ negative: -2, big: 2 ** 40, flag: false })
    await receiver.deadLetterMessage(m!, { deadLetterReason: 'typed', deadLetterErrorDescription: 'kept' })
    const dlq = client.createReceiver(queue, {
      subQueueType: 'deadLetter',
      skipConvertingDate: true,
      ...manual,
    })
    const [dead] = await dlq.receiveMessages(1, { maxWaitTimeInMs: 5_000 })
    expect(dead?.applicationProperties?.when).toBeInstanceOf(Date)
    expect(dead?.deadLetterReason).toBe('typed')
    await dlq.completeMessage(dead!)
  })

  it('batch send: every message of a batch arrives once, in sequence order', async () => {
    const queue = await newQueue()
    const sender = client.createSender(queue)
    const batch = await sender.createMessageBatch()
    for (let i = 0; i < 50; i++) expect(batch.tryAddMessage({ body: i })).toBe(true)
    await sender.sendMessages(batch)
    const { receiver, messages } = await receiveAll(queue, 50)
    expect(messages.map((m) => m.body)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    for (const m of messages) await receiver.completeMessage(m)
  })

  it('an empty receive drains and returns nothing', async () => {
    const receiver = client.createReceiver(await newQueue())
    expect(await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 })).toEqual([])
  })

  it('complete removes the message for good', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages({ body: 'done' })
    const { receiver, messages } = await receiveAll(queue, 1)
    await receiver.completeMessage(messages[0]!)
    expect(await receiver.peekMessages(10)).toEqual([])
    expect(emulator.broker.receivable(queue).counts()).toEqual({
      active: 0,
      deferred: 0,
      scheduled: 0,
      locked: 0,
    })
  })

  it('abandon redelivers with delivery count + 1 and the modified properties', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages({ body: 'again', applicationProperties: { keep: 1 } })
    const first = await receiveAll(queue, 1)
    await first.receiver.abandonMessage(first.messages[0]!, { retried: true })
    const second = await receiveAll(queue, 1)
    expect(second.messages[0]?.deliveryCount).toBe(1)
    expect(second.messages[0]?.applicationProperties).toEqual({ keep: 1, retried: true })
  })

  it('an expired lock redelivers the message with delivery count + 1', async () => {
    const queue = await newQueue({ lockDuration: 'PT5S' })
    await client.createSender(queue).sendMessages({ body: 'slow' })
    const first = await receiveAll(queue, 1)
    const lockedUntil = first.messages[0]!.lockedUntilUtc!.getTime()
    const second = await receiveAll(queue, 1)
    expect(second.messages[0]?.deliveryCount).toBe(1)
    // Redelivered only once the first lock had lapsed: the second lock (PT5S) began after it.
    expect(second.messages[0]!.lockedUntilUtc!.getTime() - 5_000).toBeGreaterThanOrEqual(lockedUntil)
    await expectCode(first.receiver.completeMessage(first.messages[0]!), 'MessageLockLost')
    await second.receiver.completeMessage(second.messages[0]!)
  })

  it('renew-lock moves lockedUntil forward and keeps the message hidden past the old lock', async () => {
    // PT15S: the renewal 2 s in has 13 s to arrive before the lock lapses, however slow the machine.
    const lockMs = 15_000
    const queue = await newQueue({ lockDuration: 'PT15S' })
    await client.createSender(queue).sendMessages({ body: 'long job' })
    const { receiver, messages } = await receiveAll(queue, 1)
    const before = messages[0]!.lockedUntilUtc!.getTime()
    await sleep(2_100)
    const after = (await receiver.renewMessageLock(messages[0]!)).getTime()
    expect(after).toBeGreaterThan(before + 2_000)
    // Past the old lock, and before the new one: a receive may only get the message once the
    // renewed lock has lapsed (its delivery is stamped by its own lock: lockedUntil − the duration).
    while (Date.now() <= before) await sleep(before + 1 - Date.now())
    const other = client.createReceiver(queue, manual)
    for (const m of await other.receiveMessages(1, { maxWaitTimeInMs: 300 }))
      expect(m.lockedUntilUtc!.getTime() - lockMs).toBeGreaterThanOrEqual(after)
    await other.close()
  })

  it('MaxDeliveryCount dead-letters with MaxDeliveryCountExceeded', async () => {
    const queue = await newQueue({ maxDeliveryCount: 2 })
    await client.createSender(queue).sendMessages({ body: 'poison' })
    for (let i = 0; i < 2; i++) {
      const { receiver, messages } = await receiveAll(queue, 1)
      await receiver.abandonMessage(messages[0]!)
    }
    const dead = await receiveAll(queue, 1, 'deadLetter')
    expect(dead.messages[0]?.body).toBe('poison')
    expect(dead.messages[0]?.deadLetterReason).toBe('MaxDeliveryCountExceeded')
    expect(dead.messages[0]?.deadLetterSource).toBe(queue)
    expect(await client.createReceiver(queue).receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([])
  })

  it('dead-letter with a reason moves the message to $DeadLetterQueue', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages({ body: 'bad', applicationProperties: { a: 1 } })
    const { receiver, messages } = await receiveAll(queue, 1)
    await receiver.deadLetterMessage(messages[0]!, {
      deadLetterReason: 'invalid',
      deadLetterErrorDescription: 'no sku',
    })
    const dead = await receiveAll(queue, 1, 'deadLetter')
    const [m] = dead.messages
    expect([m?.body, m?.deadLetterReason, m?.deadLetterErrorDescription]).toEqual([
      'bad',
      'invalid',
      'no sku',
    ])
    expect(m?.applicationProperties?.a).toBe(1)
    await dead.receiver.completeMessage(m!)
    expect(emulator.broker.receivable(`${queue}/$deadletterqueue`).counts().active).toBe(0)
  })

  it('defer keeps a message out of line until received by sequence number, settled via $management', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages({ body: 'later' })
    const { receiver, messages } = await receiveAll(queue, 1)
    await receiver.deferMessage(messages[0]!)
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([])
    const [deferred] = await receiver.receiveDeferredMessages(messages[0]!.sequenceNumber!)
    expect(deferred?.body).toBe('later')
    expect(deferred?.state).toBe('deferred')
    await receiver.abandonMessage(deferred!) // through $management; a deferred message stays deferred
    const [again] = await receiver.receiveDeferredMessages(messages[0]!.sequenceNumber!)
    await receiver.completeMessage(again!)
    await expectCode(receiver.receiveDeferredMessages(messages[0]!.sequenceNumber!), 'MessageNotFound')
  })

  it('with its link gone, a message is settled via $management: abandon, dead-letter, complete', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages([{ body: 'a' }, { body: 'b' }, { body: 'c' }])
    const first = await receiveAll(queue, 3)
    await first.receiver.close() // the SDK now settles these through the entity's $management node
    const other = client.createReceiver(queue, manual)
    const [a, b, c] = [...first.messages].sort((x, y) => String(x.body).localeCompare(String(y.body)))
    await other.abandonMessage(a!)
    await other.deadLetterMessage(b!, {
      deadLetterReason: 'by-management',
      deadLetterErrorDescription: 'no link',
    })
    await other.completeMessage(c!)
    await expectCode(other.completeMessage(c!), 'MessageLockLost')
    const again = await receiveAll(queue, 1)
    expect(again.messages.map((m) => [m.body, m.deliveryCount])).toEqual([['a', 1]])
    await again.receiver.completeMessage(again.messages[0]!)
    const dead = await receiveAll(queue, 1, 'deadLetter')
    expect(dead.messages.map((m) => [m.body, m.deadLetterReason, m.deadLetterErrorDescription])).toEqual([
      ['b', 'by-management', 'no link'],
    ])
    await dead.receiver.completeMessage(dead.messages[0]!)
  })

  it('peek shows messages in order without locking them', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages([{ body: 1 }, { body: 2 }, { body: 3 }])
    const receiver = client.createReceiver(queue)
    expect((await receiver.peekMessages(2)).map((m) => m.body)).toEqual([1, 2])
    expect((await receiver.peekMessages(5)).map((m) => m.body)).toEqual([3])
    const { messages } = await receiveAll(queue, 3)
    expect(messages.map((m) => m.deliveryCount)).toEqual([0, 0, 0])
  })

  it('receive-and-delete removes a message as it is delivered', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages([{ body: 'a' }, { body: 'b' }])
    const receiver = client.createReceiver(queue, { receiveMode: 'receiveAndDelete' })
    const got: unknown[] = []
    while (got.length < 2)
      got.push(...(await receiver.receiveMessages(2, { maxWaitTimeInMs: 1_000 })).map((m) => m.body))
    expect(got).toEqual(['a', 'b'])
    expect(await receiver.peekMessages(5)).toEqual([])
  })

  it('scheduled send over the link and through $management waits, peekable as scheduled; cancel removes it', async () => {
    const queue = await newQueue()
    const sender = client.createSender(queue)
    // An hour away: no setup, however slow, reaches it, so "not yet delivered" is certain.
    const at = new Date(Date.now() + 3_600_000)
    await sender.sendMessages({ body: 'by link', scheduledEnqueueTimeUtc: at })
    const [kept, cancelled] = await sender.scheduleMessages([{ body: 'by mgmt' }, { body: 'cancelled' }], at)
    await sender.cancelScheduledMessages(cancelled!)
    const receiver = client.createReceiver(queue)
    const peeked = await receiver.peekMessages(5)
    expect(peeked.map((m) => [m.body, m.state])).toEqual([
      ['by link', 'scheduled'],
      ['by mgmt', 'scheduled'],
    ])
    expect(peeked[1]!.sequenceNumber!.equals(kept!)).toBe(true)
    expect(await receiver.receiveMessages(5, { maxWaitTimeInMs: 500 })).toEqual([])
    expect(emulator.broker.receivable(queue).counts()).toEqual({
      active: 0,
      deferred: 0,
      scheduled: 2,
      locked: 0,
    })
  })

  it('a scheduled message, by link or through $management, is delivered once its time has come, never before', async () => {
    const queue = await newQueue()
    const sender = client.createSender(queue)
    const at = new Date(Date.now() + 2_000)
    await sender.sendMessages({ body: 'by link', scheduledEnqueueTimeUtc: at })
    const [kept] = await sender.scheduleMessages([{ body: 'by mgmt' }], at)
    const { receiver, messages } = await receiveAll(queue, 2)
    expect(messages.map((m) => m.body).sort()).toEqual(['by link', 'by mgmt'])
    expect(messages.some((m) => m.sequenceNumber!.equals(kept!))).toBe(true)
    // When each was delivered, by the broker's own stamp: its lock began then (PT1M).
    for (const m of messages)
      expect(m.lockedUntilUtc!.getTime() - 60_000).toBeGreaterThanOrEqual(at.getTime())
    for (const m of messages) await receiver.completeMessage(m)
    expect(await receiver.receiveMessages(5, { maxWaitTimeInMs: 300 })).toEqual([])
  })

  it('a topic copies each message to every subscription whose rule matches', async () => {
    const sender = client.createSender('orders')
    await sender.sendMessages([
      { body: 'plain' },
      { body: 'urgent-eu', subject: 'urgent', applicationProperties: { region: 'eu' } },
      { body: 'urgent-us', subject: 'urgent', applicationProperties: { region: 'us' } },
    ])
    const all = client.createReceiver('orders', 'all')
    const priority = client.createReceiver('orders', 'priority')
    const got = { all: [] as unknown[], priority: [] as unknown[] }
    const end = Date.now() + 15_000
    while (got.all.length < 3 && Date.now() < end) {
      for (const m of await all.receiveMessages(3, { maxWaitTimeInMs: 500 })) {
        got.all.push(m.body)
        await all.completeMessage(m)
      }
    }
    for (const m of await priority.receiveMessages(3, { maxWaitTimeInMs: 1_000 })) {
      got.priority.push(m.body)
      await priority.completeMessage(m)
    }
    expect(got.all).toEqual(['plain', 'urgent-eu', 'urgent-us'])
    expect(got.priority).toEqual(['urgent-eu'])
  })

  it('time to live: expired messages are never delivered, dead-lettered when the entity says so', async () => {
    const dropping = await newQueue()
    const keeping = await newQueue({ deadLetteringOnMessageExpiration: true })
    for (const q of [dropping, keeping])
      await client.createSender(q).sendMessages({ body: 'stale', timeToLive: 500 })
    await sleep(1_200)
    for (const q of [dropping, keeping]) {
      expect(await client.createReceiver(q).receiveMessages(1, { maxWaitTimeInMs: 300 })).toEqual([])
    }
    expect(await client.createReceiver(dropping, { subQueueType: 'deadLetter' }).peekMessages(1)).toEqual([])
    const dead = await receiveAll(keeping, 1, 'deadLetter')
    expect(dead.messages[0]?.deadLetterReason).toBe('TTLExpiredException')
  })

  it('duplicate detection drops a repeated message id within the window', async () => {
    const queue = await newQueue({
      requiresDuplicateDetection: true,
      duplicateDetectionHistoryTimeWindow: 'PT1M',
    })
    const sender = client.createSender(queue)
    await sender.sendMessages({ body: 1, messageId: 'same' })
    await sender.sendMessages({ body: 2, messageId: 'same' })
    await sender.sendMessages({ body: 3, messageId: 'other' })
    expect((await client.createReceiver(queue).peekMessages(5)).map((m) => m.body)).toEqual([1, 3])
  })

  it('unknown entities are MessagingEntityNotFound for senders and receivers', async () => {
    await expectCode(client.createSender('missing').sendMessages({ body: 1 }), 'MessagingEntityNotFound')
    await expectCode(
      client.createReceiver('missing').receiveMessages(1, { maxWaitTimeInMs: 500 }),
      'MessagingEntityNotFound',
    )
  })

  it('streaming subscribe() receives and completes', async () => {
    const queue = await newQueue()
    await client.createSender(queue).sendMessages(Array.from({ length: 20 }, (_, i) => ({ body: i })))
    const receiver = client.createReceiver(queue)
    const seen: number[] = []
    await new Promise<void>((resolve, reject) => {
      const sub = receiver.subscribe(
        {
          processMessage: async (m) => {
            seen.push(m.body as number)
            if (seen.length === 20) void sub.close().then(resolve)
          },
          processError: async (args) => reject(args.error),
        },
        { maxConcurrentCalls: 4 },
      )
    })
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    const end = Date.now() + 15_000
    while (emulator.broker.receivable(queue).messages.size > 0 && Date.now() < end) await sleep(50)
    expect(emulator.broker.receivable(queue).messages.size).toBe(0)
  })
})
