import { randomUUID } from 'node:crypto'
import { isServiceBusError, ServiceBusClient } from '@azure/service-bus'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../src/config.js'
import { type ServiceBusEmulator, startEmulator } from '../src/index.js'

// Sessions driven through the official SDK: acceptSession / acceptNextSession, per-session FIFO,
// state, lock renewal and expiry, and the service's refusals.
let emulator: ServiceBusEmulator
let client: ServiceBusClient
const errors: unknown[] = []
const manual = { maxAutoLockRenewalDurationInMs: 0 }

beforeAll(async () => {
  emulator = await startEmulator({
    onError: (e) => errors.push(e),
    // Microsoft's Config.json format: RequiresSession on a queue and on a subscription.
    config: parseConfig({
      UserConfig: {
        Namespaces: [
          {
            Name: 'sbemulatorns',
            Queues: [{ Name: 'plain', Properties: { LockDuration: 'PT5S' } }],
            Topics: [
              {
                Name: 'events',
                Subscriptions: [
                  { Name: 'by-session', Properties: { RequiresSession: true, LockDuration: 'PT1M' } },
                ],
              },
            ],
          },
        ],
      },
    }),
  })
  client = new ServiceBusClient(emulator.connectionString, {
    retryOptions: { maxRetries: 0, timeoutInMs: 10_000 },
  })
})

afterAll(async () => {
  await client?.close()
  await emulator?.close()
  expect(errors).toEqual([])
})

// A minute's lock, so no stall on a loaded machine loses a session mid-case; the expiry case asks
// for PT5S and waits it out on purpose.
async function sessionQueue(lockDuration = 'PT1M') {
  const name = `sq-${randomUUID().slice(0, 8)}`
  await emulator.admin.createQueue(name, { lockDuration, requiresSession: true })
  return name
}

async function codeOf(promise: Promise<unknown>): Promise<unknown> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  return isServiceBusError(error) ? error.code : error
}

describe.concurrent('sessions through @azure/service-bus', () => {
  it('acceptSession(id) receives only that session, in send order, and abandoned ones first again', async () => {
    const queue = await sessionQueue()
    const sender = client.createSender(queue)
    const sent = []
    for (let i = 0; i < 6; i++) sent.push({ body: i, sessionId: i % 2 === 0 ? 'even' : 'odd' })
    await sender.sendMessages(sent)
    const receiver = await client.acceptSession(queue, 'even', manual)
    expect(receiver.sessionId).toBe('even')
    expect(receiver.sessionLockedUntilUtc.getTime()).toBeGreaterThan(Date.now())
    const first = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 })
    expect(first.map((m) => [m.body, m.sessionId])).toEqual([[0, 'even']])
    await receiver.abandonMessage(first[0]!)
    const rest = await receiver.receiveMessages(10, { maxWaitTimeInMs: 1_000 })
    expect(rest.map((m) => m.body)).toEqual([0, 2, 4])
    for (const m of rest) await receiver.completeMessage(m)
    await receiver.close()
    const odd = await client.acceptSession(queue, 'odd', manual)
    const odds = await odd.receiveMessages(10, { maxWaitTimeInMs: 1_000 })
    expect(odds.map((m) => m.body)).toEqual([1, 3, 5])
    await odd.close()
  })

  it('acceptNextSession() hands out each session with messages to one receiver at a time', async () => {
    const queue = await sessionQueue()
    await client.createSender(queue).sendMessages([
      { body: 'a1', sessionId: 'a' },
      { body: 'b1', sessionId: 'b' },
    ])
    const one = await client.acceptNextSession(queue, manual)
    const two = await client.acceptNextSession(queue, manual)
    expect(new Set([one.sessionId, two.sessionId])).toEqual(new Set(['a', 'b']))
    const [m] = await two.receiveMessages(1, { maxWaitTimeInMs: 2_000 })
    expect(m?.body).toBe(`${two.sessionId}1`)
    // A session held by a receiver cannot be accepted by another.
    expect(await codeOf(client.acceptSession(queue, one.sessionId, manual))).toBe('SessionCannotBeLocked')
    await Promise.all([one.close(), two.close()])
  })

  it('acceptNextSession() waits for a session, and times out when none comes', async () => {
    const queue = await sessionQueue()
    const waiting = client.acceptNextSession(queue, manual)
    setTimeout(() => void client.createSender(queue).sendMessages({ body: 'late', sessionId: 'late' }), 300)
    const receiver = await waiting
    expect(receiver.sessionId).toBe('late')
    await receiver.close()
    const quick = new ServiceBusClient(emulator.connectionString, {
      retryOptions: { maxRetries: 0, timeoutInMs: 1_000 },
    })
    const started = Date.now()
    const code = await codeOf(quick.acceptNextSession(await sessionQueue(), manual))
    expect(code).toBe('ServiceTimeout')
    expect(Date.now() - started).toBeGreaterThanOrEqual(800)
    await quick.close()
  })

  it('keeps session state', async () => {
    const queue = await sessionQueue()
    await client.createSender(queue).sendMessages({ body: 'x', sessionId: 's' })
    const receiver = await client.acceptSession(queue, 's', manual)
    expect(await receiver.getSessionState()).toBeFalsy()
    await receiver.setSessionState('step-2')
    expect(String(await receiver.getSessionState())).toBe('step-2')
    await receiver.close()
    const again = await client.acceptSession(queue, 's', manual)
    expect(String(await again.getSessionState())).toBe('step-2')
    await again.close()
  })

  it('renews a session lock; an unrenewed lock expires and frees the session', async () => {
    const queue = await sessionQueue('PT5S')
    await client.createSender(queue).sendMessages({ body: 'x', sessionId: 's' })
    const receiver = await client.acceptSession(queue, 's', manual)
    const before = receiver.sessionLockedUntilUtc.getTime()
    await new Promise((r) => setTimeout(r, 50))
    const renewed = await receiver.renewSessionLock()
    expect(renewed.getTime()).toBeGreaterThan(before)
    // Lock duration PT5S: without renewal the service drops the receiver and frees the session.
    await new Promise((r) => setTimeout(r, 5_500))
    expect(await codeOf(receiver.renewSessionLock())).toBe('SessionLockLost')
    const next = await client.acceptSession(queue, 's', manual)
    const [m] = await next.receiveMessages(1, { maxWaitTimeInMs: 2_000 })
    expect(m?.body).toBe('x')
    await next.completeMessage(m!)
    await next.close()
  })

  it('serves session-enabled subscriptions', async () => {
    await client.createSender('events').sendMessages({ body: 'e', sessionId: 'tenant-1' })
    const receiver = await client.acceptSession('events', 'by-session', 'tenant-1', manual)
    const [m] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 2_000 })
    expect(m?.body).toBe('e')
    await receiver.completeMessage(m!)
    await receiver.close()
  })

  it('refuses a session receiver on a non-session entity, and the reverse, with the service errors', async () => {
    // acceptNextSession surfaces the service's error; acceptSession(id) reports its own
    // SessionCannotBeLocked for any refused attach (the SDK does that against Service Bus too).
    const next = await client.acceptNextSession('plain', manual).catch((e: Error) => e)
    expect(String((next as Error).message)).toMatch(
      /cannot be created on an entity that does not require sessions/,
    )
    expect(await codeOf(client.acceptSession('plain', 'x', manual))).toBe('SessionCannotBeLocked')
    const queue = await sessionQueue()
    const plain = client.createReceiver(queue, manual)
    const plainError = await plain.receiveMessages(1, { maxWaitTimeInMs: 1_000 }).catch((e: Error) => e)
    expect(String((plainError as Error).message)).toMatch(/requires sessions to create a non-sessionful/)
    await plain.close()
    const sendError = await client
      .createSender(queue)
      .sendMessages({ body: 'no session' })
      .catch((e: Error) => e)
    expect(String((sendError as Error).message)).toMatch(/session identifier is null/)
  })
})
