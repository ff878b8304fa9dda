import assert from 'node:assert/strict'
import type { Message } from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import { drain, expectNeverFor, receiveOne, receiveUntil, sleep } from '../helpers.js'
import { earliestOf, firstArrival, hiddenThenBack } from '../timing.js'
import { PATIENCE } from './consumer-helpers.js'

/** Clocks of a backend on this machine may round; one second either way is all they get. */
const CLOCK_SKEW_MS = 1_000

/** Every sent message is delivered, when it should be, with true metadata; queues never mix. */
export const deliveryCases: ConformanceCase[] = [
  {
    id: 'delivery.metadata',
    name: 'message metadata: id, attempt 1, an opaque receipt handle, enqueuedAt within the send',
    async run(ctx) {
      const queue = await ctx.queue()
      const before = Date.now()
      const { id } = await queue.send('meta')
      const after = Date.now()
      const m = await receiveOne(queue, ctx.patience(10_000))
      const receivedAt = Date.now()
      assert.equal(m.id, id, 'the received id should be the id send resolved with')
      assert.equal(m.attempt, 1, `the first delivery has attempt ${m.attempt}`)
      assert.ok(m.enqueuedAt instanceof Date, 'enqueuedAt should be a Date')
      const at = m.enqueuedAt.getTime()
      assert.ok(
        at >= before - CLOCK_SKEW_MS && at <= after + CLOCK_SKEW_MS,
        `enqueuedAt ${m.enqueuedAt.toISOString()} is outside the send call (${new Date(before).toISOString()} – ${new Date(after).toISOString()}, ± 1 s)`,
      )
      assert.ok(at <= receivedAt + CLOCK_SKEW_MS, 'enqueuedAt is later than the receipt')
      assert.equal(typeof m.receiptHandle, 'string')
      assert.ok(m.receiptHandle.length > 0)
      await queue.ack(m)
    },
  },
  {
    id: 'delivery.enqueued-at-stable',
    name: 'enqueuedAt: the same on every redelivery, and apart for messages sent seconds apart',
    timeoutMs: (lease) => lease * 2 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await queue.send('early')
      await sleep(2_500)
      await queue.send('late')
      const first = await receiveUntil(queue, ctx.patience(10_000), (seen) => seen.length >= 2)
      const by = new Map(first.map((m) => [m.payload, m]))
      const early = by.get('early')
      const late = by.get('late')
      assert.ok(early && late, 'both messages should arrive')
      const apart = late.enqueuedAt.getTime() - early.enqueuedAt.getTime()
      assert.ok(apart >= 1_500, `messages sent 2.5 s apart have enqueuedAt ${apart} ms apart`)
      await queue.nack(early)
      const again = await firstArrival(queue, ctx.patience(ctx.leaseMs))
      assert.ok(again, 'the nacked message did not come back')
      assert.equal(
        again.messages[0]!.enqueuedAt.getTime(),
        early.enqueuedAt.getTime(),
        `enqueuedAt changed on redelivery, from ${early.enqueuedAt.toISOString()} to ${again.messages[0]!.enqueuedAt.toISOString()}`,
      )
      await queue.ackBatch([late, ...again.messages])
    },
  },
  {
    id: 'delivery.delayed-send',
    name: 'send: delaySeconds keeps a message invisible for the delay, and it appears soon after',
    requires: [needs.delay(2)],
    timeoutMs: () => 90_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await earliestOf(3, async (n) => {
        const sending = Date.now()
        await queue.send(`later ${n}`, { delaySeconds: 2 })
        const sent = Date.now()
        const got = await hiddenThenBack(
          queue,
          sending + 1_800,
          'a message sent with a 2 s delay arrived too soon',
          ctx.patience(15_000),
        )
        assert.ok(got, 'a message sent with a 2 s delay never arrived')
        assert.equal(got.messages[0]!.payload, `later ${n}`)
        await queue.ack(got.messages[0]!)
        const after = got.hiddenAt - sent
        return after <= ctx.bound(2_000)
          ? undefined
          : `a message sent with a 2 s delay was still hidden ${after} ms after the send; it must appear by ${ctx.bound(2_000)} ms`
      })
    },
  },
  {
    id: 'delivery.delay-at-the-maximum',
    name: 'send: a delay of the declared maximum keeps the message hidden too',
    requires: [needs.delay(1)],
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('in a long while', { delaySeconds: ctx.capabilities.delay })
      await expectNeverFor(
        queue,
        2_000,
        `a message sent with the maximum delay (${ctx.capabilities.delay} s) arrived at once`,
      )
    },
  },
  {
    id: 'delivery.at-least-once-load',
    name: 'at-least-once under load: every message of a concurrent run is delivered, none lost, none back after its ack',
    timeoutMs: (lease) => 180_000 + lease * 2,
    async run(ctx) {
      const queue = await ctx.queue<{ n: number }>()
      const total = ctx.target.loadMessages ?? 1_000
      const sent = new Set<string>()
      const batches = Array.from({ length: Math.ceil(total / 10) }, (_, b) =>
        Array.from({ length: Math.min(10, total - b * 10) }, (_, i) => ({ payload: { n: b * 10 + i } })),
      )
      for (let i = 0; i < batches.length; i += 8) {
        const results = await Promise.all(batches.slice(i, i + 8).map((batch) => queue.sendBatch(batch)))
        for (const r of results.flat()) {
          if (!r.ok) throw r.error
          sent.add(r.id)
        }
      }
      const acked = new Set<string>()
      const numbers = new Set<number>()
      let deliveries = 0
      const deadline = Date.now() + ctx.patience(150_000)
      // Receivers ack at once, so once nothing arrived for two leases, nothing more will.
      const quietMs = ctx.patience(ctx.leaseMs * 2 + 5_000)
      let lastDelivery = Date.now()
      const receiver = async () => {
        while (
          acked.size < total &&
          Date.now() < deadline &&
          Date.now() - lastDelivery < quietMs &&
          !ctx.signal.aborted
        ) {
          const got = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
          if (got.length > 0) lastDelivery = Date.now()
          deliveries += got.length
          await queue.ackBatch(got)
          for (const m of got) {
            acked.add(m.id)
            numbers.add(m.payload.n)
          }
        }
      }
      await Promise.all([receiver(), receiver(), receiver(), receiver()])
      const lost = [...sent].filter((id) => !acked.has(id))
      ctx.note(`${total} messages, 4 receivers: ${deliveries - acked.size} duplicate deliveries`)
      assert.equal(
        lost.length,
        0,
        `${lost.length} of ${total} sent messages were never delivered (first: ${lost[0]})`,
      )
      assert.equal(numbers.size, total, 'every payload should arrive')
      // Every one was acked: nothing may come back once the leases of the last deliveries are over.
      await expectNeverFor(queue, ctx.leaseMs * 1.5 + 1_000, 'after a drain that acked everything')
    },
  },
  {
    id: 'delivery.at-most-max-messages',
    name: 'receive: never more messages than asked for, and each one once',
    async run(ctx) {
      const queue = await ctx.queue<number>()
      await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: i })))
      const seen = new Set<string>()
      for (const maxMessages of [1, 3, 10]) {
        const got = await queue.receive({ maxMessages, waitSeconds: 2 })
        assert.ok(got.length <= maxMessages, `asked for ${maxMessages}, got ${got.length}`)
        const ids = new Set(got.map((m) => m.id))
        assert.equal(
          ids.size,
          got.length,
          `one receive returned the same message twice (${got.map((m) => m.id).join(', ')})`,
        )
        for (const m of got) seen.add(m.id)
        await queue.ackBatch(got)
      }
      assert.ok(seen.size > 0, 'no message was received at all')
    },
  },
  {
    id: 'delivery.isolation',
    name: 'isolation: two queues never see each other’s messages',
    async run(ctx) {
      const a = await ctx.queue()
      const b = await ctx.queue()
      await a.send('for a')
      await b.send('for b')
      const fromA = await drain(a, 1, ctx.patience(20_000))
      const fromB = await drain(b, 1, ctx.patience(20_000))
      assert.deepEqual(
        fromA.map((m) => m.payload),
        ['for a'],
      )
      assert.deepEqual(
        fromB.map((m) => m.payload),
        ['for b'],
      )
      await expectNeverFor(a, 500, 'queue a received more than its own message')
      // Names that differ only in case are different queues (a driver over a case-insensitive
      // backend must map them apart).
      const lower = await ctx.queue(`${a.name}-case`)
      const upper = await ctx.queue(`${a.name}-CASE`)
      await lower.send('lower')
      await upper.send('upper')
      assert.deepEqual(
        (await drain(lower, 1, ctx.patience(20_000))).map((m) => m.payload),
        ['lower'],
        `${lower.name} and ${upper.name} share messages`,
      )
      assert.deepEqual(
        (await drain(upper, 1, ctx.patience(20_000))).map((m) => m.payload),
        ['upper'],
        `${lower.name} and ${upper.name} share messages`,
      )
      await expectNeverFor(lower, 500, `${lower.name} received ${upper.name}'s message`)
    },
  },
  {
    id: 'delivery.fifo',
    name: 'FIFO: messages arrive in the order they were sent',
    requires: [needs.fifo],
    async run(ctx) {
      const queue = await ctx.queue<number>()
      for (let i = 0; i < 25; i++) await queue.send(i)
      const order: number[] = []
      await receiveUntil(queue, ctx.patience(20_000), (seen) => {
        for (const m of seen.splice(0)) order.push(m.payload)
        return order.length >= 25
      })
      assert.deepEqual(
        order,
        Array.from({ length: 25 }, (_, i) => i),
        'messages arrived out of the order they were sent',
      )
    },
  },
  {
    id: 'delivery.persistence',
    name: 'persistence: messages survive closing and reopening the driver',
    requires: [needs.persistent],
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const name = (await ctx.queue()).name
      const sent = await ctx.client
        .queue(name)
        .sendBatch([{ payload: 'one' }, { payload: { two: 2 } }, { payload: 'acked' }])
      const [acked] = await receiveUntil(
        ctx.client.queue(name),
        ctx.patience(10_000),
        (seen) => seen.length >= 3,
        10,
      ).then((seen) => seen.filter((m) => m.payload === 'acked'))
      assert.ok(acked, 'the third message could not be received')
      await ctx.client.queue(name).ack(acked)
      const leased = await receiveOne(ctx.client.queue(name), ctx.patience(ctx.leaseMs * 3 + 10_000)) // leased, never acked
      const client = await ctx.reopen()
      const got = await drain(client.queue(name), 2, ctx.patience(ctx.leaseMs * 2 + 15_000))
      assert.ok(
        !got.some((m) => m.id === acked.id),
        `${acked.id}, acked before the driver was closed, came back after reopening: an ack must be durable`,
      )
      sent.pop()
      assert.deepEqual(
        new Set(got.map((m) => m.id)),
        new Set(sent.map((r) => (r.ok ? r.id : ''))),
        'after reopening the driver, not every message sent before was there',
      )
      const again = got.find((m) => m.id === leased.id)
      assert.ok(again && again.attempt >= 2, 'the message leased before reopening should count that delivery')
    },
  },
  {
    id: 'delivery.attempt-counts-deliveries',
    name: 'attempt: each message counts its own deliveries, whatever else its receive returns; a delayed send starts at 1',
    timeoutMs: (lease) => lease * 6 + PATIENCE,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      // Every delivery comes to this case (no other receiver), so the count it keeps per id is the
      // count attempt must report, lost leases included: a lease that ran out is one more delivery.
      const deliveries = new Map<string, number>()
      const latest = new Map<string, Message<string>>()
      const receiveAll = async (payloads: string[], why: string) => {
        const seen = await receiveUntil(queue, ctx.patience(PATIENCE), (so) =>
          payloads.every((p) => so.some((m) => m.payload === p)),
        )
        for (const m of seen) {
          const n = (deliveries.get(m.id) ?? 0) + 1
          deliveries.set(m.id, n)
          latest.set(m.payload, m)
          assert.equal(
            m.attempt,
            n,
            `${why}: "${m.payload}" (${m.id}) arrived with attempt ${m.attempt} on its delivery ${n}`,
          )
        }
        for (const p of payloads)
          assert.ok(
            seen.some((m) => m.payload === p),
            `${why}: "${p}" never arrived within ${ctx.patience(PATIENCE)} ms`,
          )
      }
      await queue.sendBatch(['a', 'b', 'c'].map((payload) => ({ payload })))
      const delayed = ctx.capabilities.delay >= 1
      if (delayed) await queue.send('delayed', { delaySeconds: 1 })
      await receiveAll(['a', 'b', 'c', ...(delayed ? ['delayed'] : [])], 'first deliveries')
      await queue.nack(latest.get('a')!)
      await queue.nack(latest.get('b')!)
      await queue.ackBatch([latest.get('c')!, ...(delayed ? [latest.get('delayed')!] : [])])
      await queue.send('fresh')
      // a and b come back beside a fresh message: each keeps its own count.
      await receiveAll(['a', 'b', 'fresh'], 'after two nacks and a send')
      await queue.nack(latest.get('a')!)
      await queue.ack(latest.get('fresh')!)
      await receiveAll(['a', 'b'], 'a nacked again, b leased out')
      await queue.ackBatch([latest.get('a')!, latest.get('b')!])
    },
  },
  {
    id: 'delivery.receive-takes-a-batch',
    name: 'receive: asks the driver for maxMessages (up to its maxBatch), returns no more, and takes several at once when several wait',
    timeoutMs: (lease) => lease * 2 + PATIENCE,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      const total = 30
      for (let i = 0; i < total; i += 10)
        await queue.sendBatch(Array.from({ length: 10 }, (_, j) => ({ payload: i + j })))
      const maxBatch = ctx.capabilities.maxBatch
      const sizes: number[] = []
      const seen = new Set<string>()
      const end = Date.now() + ctx.patience(PATIENCE)
      // 7, then 10s: at every ask at least 11 are waiting (until the last few).
      for (let ask = 0; seen.size < total && Date.now() < end; ask++) {
        const maxMessages = ask === 0 ? 7 : 10
        const got = await queue.receive({ maxMessages, waitSeconds: 2 })
        const call = ctx.driver.callsOf('receiveBatch', queue.name).at(-1)
        assert.equal(
          call?.maxMessages,
          Math.min(maxMessages, maxBatch),
          `receive({ maxMessages: ${maxMessages} }) asked the driver (maxBatch ${maxBatch}) for ${call?.maxMessages}`,
        )
        assert.ok(got.length <= maxMessages, `asked for ${maxMessages}, got ${got.length}`)
        assert.ok(
          (call?.received ?? 0) <= (call?.maxMessages ?? 0),
          `the driver, asked for ${call?.maxMessages}, returned ${call?.received}`,
        )
        sizes.push(got.length)
        for (const m of got) seen.add(m.id)
        if (got.length > 0) await queue.ackBatch(got)
      }
      assert.equal(seen.size, total, `${total - seen.size} of ${total} messages never arrived`)
      if (maxBatch > 1)
        assert.ok(
          sizes.some((n) => n > 1),
          `with ${total} messages waiting, every receive of up to ${Math.min(10, maxBatch)} returned one or none (${sizes.join(', ')}): receives must take batches`,
        )
    },
  },
]
