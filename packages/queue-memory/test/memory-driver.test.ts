import { isQueueError, type Message, QueueClient } from '@anyqueue/queue-core'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createMemoryDriver, ManualClock } from '../src/index.js'

describe('memory driver', () => {
  test('a missing queue is QUEUE_NOT_FOUND naming the queue and how to create it', async () => {
    const client = new QueueClient(createMemoryDriver())
    const error = await client
      .queue('orders')
      .send('x')
      .catch((e: unknown) => e)
    expect(isQueueError(error, 'QUEUE_NOT_FOUND')).toBe(true)
    expect((error as Error).message).toMatch(/"orders".*createQueue\("orders"\).*createIfMissing/)
    await client.close()
  })

  test('leaseSeconds outside 1..43,200 or fractional is INVALID_ARGUMENT naming the field', () => {
    for (const leaseSeconds of [0, 1.5, 43_201, Number.NaN]) {
      let error: unknown
      try {
        createMemoryDriver({ leaseSeconds })
      } catch (e) {
        error = e
      }
      expect(isQueueError(error, 'INVALID_ARGUMENT'), String(leaseSeconds)).toBe(true)
      expect((error as { field?: string }).field).toBe('leaseSeconds')
    }
  })

  test('handles never repeat across deleting and re-creating a queue; an old one touches nothing', async () => {
    const client = new QueueClient(createMemoryDriver())
    await client.createQueue('q')
    await client.queue('q').send('before')
    const [old] = await client.queue('q').receive({ waitSeconds: 0 })
    await client.deleteQueue('q')
    await client.createQueue('q')
    await client.queue('q').send('after')
    const [fresh] = await client.queue('q').receive({ waitSeconds: 0 })
    expect(fresh!.receiptHandle).not.toBe(old!.receiptHandle)
    await client.queue('q').ack(old!)
    await client.queue('q').nack(fresh!)
    const [again] = await client.queue('q').receive({ waitSeconds: 0 })
    expect(again?.payload).toBe('after')
    await client.close()
  })

  test('two drivers share nothing; listQueues names the queues of one', async () => {
    const a = createMemoryDriver()
    const b = createMemoryDriver()
    await a.createQueue('beta')
    await a.createQueue('alpha')
    expect(await a.listQueues()).toEqual(['alpha', 'beta'])
    expect(await b.listQueues()).toEqual([])
    await a.deleteQueue('beta')
    expect(await a.listQueues()).toEqual(['alpha'])
  })

  test('deleting a queue ends a long poll on it at once', async () => {
    const clock = new ManualClock(0)
    const client = new QueueClient(createMemoryDriver({ clock }))
    await client.createQueue('q')
    const polling = client.queue('q').receive({ waitSeconds: 20 })
    await clock.advance(1)
    await client.deleteQueue('q')
    expect(await polling).toEqual([])
    await client.close()
  })

  // A model of the contract on a manual clock: whatever sends, receives, acks, nacks and clock
  // moves happen, an acked message never comes back, attempts count every delivery, and at the end
  // exactly the unacked messages remain, in send order (FIFO).
  test('property: acked never return, attempts count deliveries, the rest drain in FIFO order', async () => {
    const op = fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          kind: fc.constant('send' as const),
          delaySeconds: fc.integer({ min: 0, max: 90 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({ kind: fc.constant('receive' as const), max: fc.integer({ min: 1, max: 10 }) }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant('ack' as const), pick: fc.nat() }) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('nack' as const),
          pick: fc.nat(),
          delaySeconds: fc.integer({ min: 0, max: 60 }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          kind: fc.constant('advance' as const),
          ms: fc.integer({ min: 0, max: 45_000 }),
        }),
      },
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60, size: 'max' }), async (ops) => {
        const clock = new ManualClock(0)
        const client = new QueueClient(createMemoryDriver({ clock, leaseSeconds: 30 }))
        await client.createQueue('m')
        const queue = client.queue<number>('m')
        const sentOrder: string[] = []
        const acked = new Set<string>()
        const deliveries = new Map<string, number>()
        let held: Message<number>[] = []
        const see = (got: Message<number>[]) => {
          for (const m of got) {
            expect(acked.has(m.id), 'an acked message came back').toBe(false)
            const n = (deliveries.get(m.id) ?? 0) + 1
            deliveries.set(m.id, n)
            expect(m.attempt).toBe(n)
          }
          held.push(...got)
        }
        for (const o of ops) {
          if (o.kind === 'send')
            sentOrder.push((await queue.send(sentOrder.length, { delaySeconds: o.delaySeconds })).id)
          else if (o.kind === 'receive') see(await queue.receive({ maxMessages: o.max, waitSeconds: 0 }))
          else if (o.kind === 'advance') await clock.advance(o.ms)
          else if (held.length > 0) {
            const m = held[o.pick % held.length]!
            held = held.filter((h) => h !== m)
            if (o.kind === 'ack') {
              // Deletes only if this delivery is still the latest: an older handle is a no-op.
              if (deliveries.get(m.id) === m.attempt) acked.add(m.id)
              await queue.ack(m)
            } else await queue.nack(m, { delaySeconds: o.delaySeconds })
          }
        }
        await clock.advance(24 * 3_600_000) // past every delay and lease
        const rest: Message<number>[] = []
        for (let got = await queue.receive({ maxMessages: 10, waitSeconds: 0 }); got.length > 0; ) {
          see(got)
          rest.push(...got)
          got = await queue.receive({ maxMessages: 10, waitSeconds: 0 })
        }
        expect(rest.map((m) => m.id)).toEqual(sentOrder.filter((id) => !acked.has(id)))
        await client.close()
      }),
      { seed: 20261123, numRuns: 200 },
    )
  })
})
