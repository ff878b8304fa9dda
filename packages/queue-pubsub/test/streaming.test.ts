/**
 * The StreamingPull path on the emulator, below the consumer: flow control by credit, attempts
 * counted across redeliveries, a stream broken mid-run reconnected without losing or repeating an
 * ack, and close() ending it with nothing delivered after.
 */
import {
  type Backend,
  inCI,
  type PubSubConnection,
  pubsubBackend,
  resolveBackend,
} from '@anyqueue/conformance/backends'
import type { IncomingMessage, OutgoingMessage } from '@anyqueue/queue-core/driver'
import { v1 } from '@google-cloud/pubsub'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import { createPubSubDriver, type PubSubDriver } from '../src/index.js'

let backend: Backend<PubSubConnection> | undefined
let skipReason: string | undefined
const drivers: PubSubDriver[] = []

beforeAll(async () => {
  try {
    backend = await resolveBackend(pubsubBackend)
  } catch (error) {
    if (inCI()) throw error
    skipReason = (error as Error).message
  }
}, 120_000)

afterAll(async () => {
  await Promise.allSettled(drivers.map((d) => d.close()))
  await backend?.stop()
})

async function queueWith(count: number): Promise<{ driver: PubSubDriver; queue: string }> {
  const driver = createPubSubDriver({ clientConfig: backend!.connection, leaseSeconds: 10, prefix: 'st-' })
  drivers.push(driver)
  const queue = `q${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`
  await driver.createQueue(queue)
  for (let i = 0; i < count; i += 10) {
    const batch: OutgoingMessage[] = []
    for (let j = i; j < Math.min(count, i + 10); j++) {
      const body = String(j)
      batch.push({ body, contentType: 'text/plain', bytes: body.length, delaySeconds: 0, attributes: {} })
    }
    await driver.sendBatch(queue, batch)
  }
  return { driver, queue }
}

async function eventually(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('StreamingPull', () => {
  test('hands over no more than the credit, and more as credit comes back', {
    timeout: 120_000,
  }, async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const { driver, queue } = await queueWith(20)
    const got: IncomingMessage[] = []
    const stream = driver.streaming!.open(queue, {
      maxOutstanding: 3,
      deliver: (messages) => void got.push(...messages),
      onError: () => {},
    })
    await eventually('the first deliveries', () => got.length >= 3)
    await sleep(500) // the emulator sends everything at once: the rest must be held back
    expect(got).toHaveLength(3)
    await driver.ackBatch(
      queue,
      got.map((m) => m.receiptHandle),
    )
    stream.release(3)
    await eventually('three more', () => got.length >= 6)
    await sleep(300)
    expect(got).toHaveLength(6)
    await driver.ackBatch(
      queue,
      got.slice(3).map((m) => m.receiptHandle),
    )
    await stream.close()
    expect(new Set(got.map((m) => m.body.toString())).size).toBe(6)
  })

  test('a nacked message comes back on the stream with its attempt counted', {
    timeout: 120_000,
  }, async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const { driver, queue } = await queueWith(1)
    const got: IncomingMessage[] = []
    const stream = driver.streaming!.open(queue, {
      maxOutstanding: 4,
      deliver: (messages) => void got.push(...messages),
      onError: () => {},
    })
    await eventually('the delivery', () => got.length === 1)
    expect(got[0]!.attempt).toBe(1)
    await driver.nack(queue, got[0]!.receiptHandle, 0)
    stream.release(1)
    await eventually('the redelivery', () => got.length === 2)
    expect(got[1]!.attempt).toBe(2)
    expect(got[1]!.id).toBe(got[0]!.id)
    await driver.ackBatch(queue, [got[1]!.receiptHandle])
    await stream.close()
  })

  test('a stream broken mid-run reconnects; no ack is lost or repeated, nothing comes after close', {
    timeout: 180_000,
  }, async (ctx) => {
    if (skipReason) return ctx.skip(skipReason)
    const { driver, queue } = await queueWith(30)
    const opened: Array<{ destroy(error: Error): void }> = []
    const original = v1.SubscriberClient.prototype.streamingPull
    const spy = vi.spyOn(v1.SubscriberClient.prototype, 'streamingPull').mockImplementation(function (
      this: v1.SubscriberClient,
      ...args: Parameters<typeof original>
    ) {
      const stream = original.apply(this, args)
      opened.push(stream as unknown as { destroy(error: Error): void })
      return stream
    })
    const errors: unknown[] = []
    const got: IncomingMessage[] = []
    let stream: ReturnType<NonNullable<PubSubDriver['streaming']>['open']> | undefined
    const acked = new Set<string>()
    const settle = async (messages: IncomingMessage[]) => {
      await driver.ackBatch(
        queue,
        messages.map((m) => m.receiptHandle),
      )
      for (const m of messages) acked.add(m.id)
      stream!.release(messages.length)
    }
    try {
      stream = driver.streaming!.open(queue, {
        maxOutstanding: 5,
        deliver: (messages) => {
          got.push(...messages)
          // Ack as a consumer would, once the stream was broken under it below.
          if (opened.length > 1) void settle(messages)
        },
        onError: (error) => void errors.push(error),
      })
      await eventually('some deliveries', () => got.length >= 5)
      // Half of what came so far is acked on the first stream, the rest after it broke.
      await settle(got.slice(0, 3))
      opened[0]!.destroy(Object.assign(new Error('connection reset'), { code: 14 }))
      await eventually('a reconnect', () => opened.length > 1)
      expect(errors.length).toBeGreaterThan(0)
      await settle(got.slice(3))
      await eventually('every message acked', () => acked.size === 30, 60_000)
      // Nothing acked comes back: wait past a lease (10 s) for a redelivery that must not happen.
      await sleep(12_000)
      await stream.close()
      const after = got.length
      expect(new Set(got.map((m) => m.id)).size).toBe(30)
      // A delivery of a message already acked would be an ack lost.
      expect(got.length - 30, 'redeliveries of acked messages').toBe(0)
      await sleep(200)
      expect(got.length, 'deliveries after close() resolved').toBe(after)
    } finally {
      spy.mockRestore()
    }
  })
})
