import assert from 'node:assert/strict'
import { countMessages, DEAD_LETTER_ATTRIBUTES, QueueError, redrive } from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import { drain, expectNeverFor, expectNothingFor, sleep } from '../helpers.js'
import { firstArrival } from '../timing.js'
import { alwaysFailing, drainOnce, eventually, PATIENCE, quiet } from './consumer-helpers.js'

const denied = () => new QueueError('PERMISSION_DENIED', 'injected by the conformance suite: not allowed')

/**
 * The consumer when things go wrong: failing handlers, a handler's own decisions, a dead-letter queue
 * that refuses, a lease lost, a stop in the middle. Faults are injected under the portable layer.
 */
export const consumerFailureCases: ConformanceCase[] = [
  {
    id: 'consumer.backoff-capped',
    name: 'consumer: retry delays never exceed maxDelaySeconds',
    requires: [needs.nackDelay(2)],
    timeoutMs: () => PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('flaky')
      let calls = 0
      const delays: number[] = []
      ctx.consume(
        queue,
        () => {
          if (++calls <= 3) throw new Error(`failure ${calls}`)
        },
        {
          ...quiet,
          maxAttempts: 10,
          backoff: { initialDelaySeconds: 1, multiplier: 10, maxDelaySeconds: 2, jitter: false },
          onEvent: (event) => {
            if (event.type === 'retried') delays.push(event.delaySeconds)
          },
        },
      )
      await eventually(
        ctx.patience(PATIENCE),
        'the fourth call',
        () => calls >= 4,
        () =>
          delays.some((d) => d > 2)
            ? `retried after [${delays.join(', ')}] s; maxDelaySeconds is 2`
            : undefined,
      )
      const nacks = ctx.driver.callsOf('nack', queue.name).map((c) => c.delaySeconds)
      assert.deepEqual(
        delays,
        [1, 2, 2],
        `retried after [${delays.join(', ')}] s; 1 s × 10 per attempt, capped at 2 s`,
      )
      assert.deepEqual(
        nacks,
        [1, 2, 2],
        `the queue was asked for nack delays [${nacks.join(', ')}]; capped at 2 s`,
      )
    },
  },
  {
    id: 'consumer.handler-retry',
    name: "consumer: a handler's retry({ delaySeconds }) redelivers after that delay and is no failed attempt",
    requires: [needs.nackDelay(2)],
    timeoutMs: (lease) => lease * 2 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const deadLetterQueue = await ctx.queue()
      await queue.send('not yet')
      const calls: number[] = []
      const events: string[] = []
      ctx.consume(
        queue,
        (_, c) => {
          calls.push(Date.now())
          if (calls.length === 1) c.retry({ delaySeconds: 2 })
        },
        { ...quiet, maxAttempts: 1, deadLetterQueue, onEvent: (e) => void events.push(e.type) },
      )
      await eventually(
        ctx.patience(PATIENCE),
        'the second call',
        () => calls.length >= 2,
        () =>
          events.includes('failed') || events.includes('dead-lettered')
            ? `a retry() was reported as [${events.join(', ')}]: it is no failed attempt`
            : undefined,
      )
      const gap = calls[1]! - calls[0]!
      assert.ok(gap >= 1_800, `retry({ delaySeconds: 2 }) brought the message back after ${gap} ms`)
      const nacks = ctx.driver.callsOf('nack', queue.name).map((c) => c.delaySeconds)
      assert.deepEqual(
        nacks,
        [2],
        `retry({ delaySeconds: 2 }) asked the queue for nack delays [${nacks.join(', ')}]`,
      )
      assert.ok(
        !events.includes('failed') && !events.includes('dead-lettered'),
        `a retry() was reported as [${events.join(', ')}]`,
      )
      await expectNeverFor(
        deadLetterQueue,
        1_000,
        'with maxAttempts 1, a retry() counted as a failed attempt and dead-lettered the message',
      )
    },
  },
  {
    id: 'consumer.dead-letter-reason',
    name: 'consumer: deadLetter(reason) lands the message in the dead-letter queue with that reason, reported by onEvent',
    timeoutMs: (lease) => lease * 2 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const deadLetterQueue = await ctx.queue()
      await queue.send({ customer: 42 })
      const reported: string[] = []
      const consumer = ctx.consume(queue, (_, c) => c.deadLetter('customer 42 is closed'), {
        ...quiet,
        deadLetterQueue,
        onEvent: (e) => {
          if (e.type === 'dead-lettered') reported.push(e.reason)
        },
      })
      const [dead] = await drainOnce(deadLetterQueue, ctx.patience(PATIENCE))
      assert.deepEqual(dead.payload, { customer: 42 })
      assert.equal(
        dead.attributes[DEAD_LETTER_ATTRIBUTES.reason],
        'customer 42 is closed',
        'the reason given to deadLetter() was lost',
      )
      await eventually(ctx.patience(5_000), 'onEvent to report the dead letter', () => reported.length > 0)
      assert.deepEqual(
        reported,
        ['customer 42 is closed'],
        'onEvent should report the dead letter with its reason',
      )
      // Stopped first: a running consumer would take a message that came back before this look did.
      await consumer.stop()
      await expectNeverFor(queue, ctx.leaseMs + 1_000, 'the dead-lettered message is still in its queue')
    },
  },
  {
    id: 'consumer.dead-letter-send-fails',
    name: 'consumer: when the dead-letter send fails, the message stays in its queue and is dead-lettered later',
    timeoutMs: (lease) => lease * 4 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const deadLetterQueue = await ctx.queue()
      ctx.driver.inject({ method: 'sendBatch', queue: deadLetterQueue.name, error: denied })
      await queue.send('poison')
      const failing = alwaysFailing('always fails')
      const consumer = ctx.consume(queue, failing.handler, { ...quiet, maxAttempts: 1, deadLetterQueue })
      await eventually(
        ctx.patience(ctx.leaseMs * 3 + PATIENCE),
        'a second dead-letter send',
        () => ctx.driver.callsOf('sendBatch', deadLetterQueue.name).length >= 2,
        () =>
          ctx.driver.callsOf('ackBatch', queue.name).length > 0
            ? 'the message was acked in its queue though its only dead-letter send had failed: it vanished'
            : undefined,
      )
      const [dead] = await drainOnce(deadLetterQueue, ctx.patience(ctx.leaseMs * 3 + PATIENCE)).catch(() => {
        throw new Error(
          `the message vanished: its dead-letter send failed (injected PERMISSION_DENIED) and it never came back to be dead-lettered again (${failing.calls} handler calls)`,
        )
      })
      assert.equal(dead.payload, 'poison')
      assert.ok(
        failing.calls >= 2,
        'the message was dead-lettered without coming back after the failed dead-letter send',
      )
      await consumer.stop() // a running consumer would take a message that came back before this look did
      await expectNeverFor(queue, ctx.leaseMs + 1_000, 'the dead-lettered message is still in its queue')
    },
  },
  {
    id: 'consumer.lost-lease-aborts',
    name: "consumer: when the lease cannot be renewed, the handler's signal aborts and the message is not acked",
    requires: [needs.renewLease],
    timeoutMs: (lease) => lease * 4 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('held too long')
      ctx.driver.inject({
        method: 'renewLease',
        queue: queue.name,
        times: Number.POSITIVE_INFINITY,
        error: denied,
      })
      let aborted: boolean | undefined
      let firstHandle: string | undefined
      ctx.consume(
        queue,
        async (m, c) => {
          if (firstHandle !== undefined) return // a later delivery: free to succeed
          firstHandle = m.receiptHandle
          const end = Date.now() + ctx.leaseMs * 2
          while (!c.signal.aborted && Date.now() < end) await sleep(50)
          aborted = c.signal.aborted
        },
        { ...quiet, concurrency: 1 },
      )
      await eventually(
        ctx.patience(ctx.leaseMs * 2 + PATIENCE),
        'the first handler to end',
        () => aborted !== undefined,
      )
      assert.ok(aborted, "renewLease failed, yet the handler's signal did not abort within two leases")
      await sleep(500)
      const acked = ctx.driver.callsOf('ackBatch', queue.name).flatMap((c) => c.handles)
      assert.ok(!acked.includes(firstHandle!), 'the consumer acked a message whose lease it had lost')
    },
  },
  {
    id: 'consumer.stop-then-throw',
    name: 'consumer: a handler that throws after stop() began does not get its message acked',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const { id } = await queue.send('interrupted')
      let started = false
      const consumer = ctx.consume(
        queue,
        async (_, c) => {
          started = true
          while (!c.signal.aborted) await sleep(20)
          throw new Error('interrupted by stop')
        },
        { ...quiet, maxAttempts: 5 },
      )
      await eventually(ctx.patience(PATIENCE), 'the handler to start', () => started)
      await consumer.stop()
      assert.equal(
        ctx.driver.callsOf('ackBatch', queue.name).length,
        0,
        'the message of a handler that threw was acked',
      )
      const back = await firstArrival(queue, ctx.patience(ctx.leaseMs * 3 + 10_000))
      assert.ok(back, `${id}, whose handler threw during stop(), is gone`)
      assert.equal(back.messages[0]!.id, id)
      await queue.ack(back.messages[0]!)
    },
  },
  {
    id: 'consumer.no-handler-after-stop',
    name: 'consumer: messages a receive returns after stop() began are handed back, never handled',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      let handled = 0
      // The next receive returns its messages 1.5 s late, after stop() was called.
      ctx.driver.inject({
        method: 'receiveBatch',
        queue: queue.name,
        holdMs: 1_500,
        times: Number.POSITIVE_INFINITY, // a receive retried after a failure is held too
      })
      const consumer = ctx.consume(queue, () => void handled++, { ...quiet, concurrency: 3 })
      await sleep(100)
      await queue.sendBatch([1, 2, 3].map((payload) => ({ payload })))
      await sleep(300)
      await consumer.stop()
      ctx.driver.clear()
      const late = ctx.driver
        .callsOf('receiveBatch', queue.name)
        .reduce((sum, call) => sum + (call.received ?? 0), 0)
      if (late === 0) ctx.note('the held receive came back empty: nothing arrived as the consumer stopped')
      // Handed back means released now (a nack), not left to sit out its lease.
      await eventually(
        ctx.patience(ctx.leaseMs / 2),
        'the messages received as the consumer stopped to be handed back',
        () => ctx.driver.callsOf('nack', queue.name).length >= late || handled > 0,
      ).catch(() => {
        throw new Error(
          `${ctx.driver.callsOf('nack', queue.name).length} of ${late} messages received as the consumer stopped were handed back (nacked); the rest sit out their lease`,
        )
      })
      assert.equal(handled, 0, `${handled} message(s) received as the consumer stopped were handled`)
      const rest = await drain(queue, 3, ctx.patience(ctx.leaseMs * 2 + 15_000))
      assert.equal(rest.length, 3, 'messages received as the consumer stopped were lost')
    },
  },
  {
    id: 'consumer.redrive-complete',
    name: 'redrive: moves every dead letter back exactly once and leaves none behind',
    timeoutMs: (lease) => lease * 4 + PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      const deadLetterQueue = await ctx.queue<number>()
      const total = 25
      for (let i = 0; i < total; i += 10) {
        await deadLetterQueue.sendBatch(
          Array.from({ length: Math.min(10, total - i) }, (_, j) => ({
            payload: i + j,
            attributes: { [DEAD_LETTER_ATTRIBUTES.reason]: 'x' },
          })),
        )
      }
      assert.equal(await redrive(deadLetterQueue, queue), total, `redrive should report ${total} moved`)
      const moved = await drain(queue, total, ctx.patience(30_000))
      const payloads = moved.map((m) => m.payload).sort((a, b) => a - b)
      assert.deepEqual(
        payloads,
        Array.from({ length: total }, (_, i) => i),
        `redrive delivered [${payloads.join(', ')}]`,
      )
      const extra = await expectNothingFor(queue, ctx.leaseMs * 1.2, 'redrive sent a message twice')
      assert.deepEqual(extra, [], 'redrive sent a message twice')
      // Past every lease redrive took: anything it leased and left must show now.
      await sleep(ctx.leaseMs * 0.5)
      assert.equal(
        await countMessages(deadLetterQueue),
        0,
        'redrive left messages behind in the dead-letter queue',
      )
    },
  },
]
