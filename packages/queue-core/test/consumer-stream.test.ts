/**
 * consume() over a driver's streaming path (issue 26): the stream's credit follows the handler
 * slots, its deliveries run like received ones, acks go through ackBatch, and stop() / close()
 * end the stream; the client checks `capabilities.streaming` and `driver.streaming` together.
 */
import { describe, expect, it } from 'vitest'
import type { DeliveryStream, IncomingMessage, StreamRequest } from '../src/driver.js'
import { consume, QueueClient } from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

/** A FakeDriver with a stream the test feeds by hand. */
class StreamingFake extends FakeDriver {
  request: StreamRequest | undefined
  released = 0
  closes = 0
  opens = 0
  constructor(declared = true, withObject = true) {
    super()
    this.capabilities = { ...this.capabilities, streaming: declared }
    if (withObject) {
      ;(this as { streaming?: unknown }).streaming = {
        open: (_queue: string, request: StreamRequest): DeliveryStream => {
          this.opens++
          this.request = request
          return {
            release: (count) => {
              this.released += count
            },
            close: async () => {
              this.closes++
            },
          }
        },
      }
    }
  }
}

let seq = 0
const delivery = (payload: unknown): IncomingMessage => {
  const n = ++seq
  return {
    id: `s-${n}`,
    body: JSON.stringify(payload),
    contentType: 'application/json',
    receiptHandle: `fake:s${n}`,
    attempt: 1,
    enqueuedAt: new Date(0),
    attributes: {},
  }
}

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition never held')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('a client checks the streaming path of the driver it opens', () => {
  it('accepts both together, and neither', () => {
    expect(() => new QueueClient(new StreamingFake(true, true))).not.toThrow()
    expect(() => new QueueClient(new StreamingFake(false, false))).not.toThrow()
  })

  it('refuses one without the other, naming driver.streaming', () => {
    const invalid = (message: RegExp) =>
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        field: 'driver.streaming',
        message: expect.stringMatching(message),
      })
    expect(() => new QueueClient(new StreamingFake(true, false))).toThrow(invalid(/has no streaming object/))
    expect(() => new QueueClient(new StreamingFake(false, true))).toThrow(invalid(/does not declare/))
  })
})

describe('consume() over a stream', () => {
  it('asks for its concurrency as credit, runs deliveries, gives a slot back per handler, acks in batches', async () => {
    const driver = new StreamingFake()
    const client = new QueueClient(driver)
    const queue = client.queue<number>('q')
    const seen: number[] = []
    let finish!: () => void
    const gate = new Promise<void>((resolve) => {
      finish = resolve
    })
    const consumer = consume(
      queue,
      async (m) => {
        seen.push(m.payload)
        if (m.payload === 1) await gate
      },
      { concurrency: 3 },
    )
    await until(() => driver.request !== undefined)
    expect(driver.request!.maxOutstanding).toBe(3)
    driver.request!.deliver([delivery(1), delivery(2)])
    await until(() => driver.released === 1) // 2 ended, 1 still runs
    expect(seen).toEqual([1, 2])
    finish()
    await until(() => driver.released === 2)
    await until(() => driver.calls.some((c) => c.method === 'ackBatch'))
    const acked = driver.calls.filter((c) => c.method === 'ackBatch').flatMap((c) => c.args[1] as string[])
    expect(acked.sort()).toEqual([`fake:s${seq - 1}`, `fake:s${seq}`].sort())
    expect(driver.calls.some((c) => c.method === 'receiveBatch')).toBe(false)
    await consumer.stop()
    expect(driver.closes).toBe(1)
    await client.close()
  })

  it('hands back, never handles, what the stream delivers once stop() began', async () => {
    const driver = new StreamingFake()
    const client = new QueueClient(driver)
    const queue = client.queue<number>('q')
    let handled = 0
    const consumer = consume(queue, () => void handled++, { concurrency: 2 })
    await until(() => driver.request !== undefined)
    const stopping = consumer.stop()
    const late = delivery(7)
    driver.request!.deliver([late])
    await stopping
    expect(handled).toBe(0)
    await until(() => driver.calls.some((c) => c.method === 'nack'))
    expect(driver.calls.find((c) => c.method === 'nack')!.args[1]).toBe(late.receiptHandle)
    await client.close()
  })

  it('stops when its client closes, the stream closed with it; stream errors are reported classified', async () => {
    const driver = new StreamingFake()
    const client = new QueueClient(driver)
    const errors: unknown[] = []
    const consumer = consume(client.queue('q'), () => {}, { onError: (error) => void errors.push(error) })
    await until(() => driver.request !== undefined)
    driver.request!.onError(Object.assign(new Error('slow down'), { kind: 'throttled' }))
    expect(errors).toEqual([expect.objectContaining({ name: 'QueueError', code: 'UNAVAILABLE' })])
    await client.close()
    await consumer.done
    expect(driver.closes).toBeGreaterThanOrEqual(1)
    expect(driver.opens).toBe(1)
  })
})
