import assert from 'node:assert/strict'
import {
  type ConsumeOptions,
  DEAD_LETTER_ATTRIBUTES,
  isQueueError,
  type Message,
  QueueError,
  redrive,
} from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import { receiveOne, receiveUntil, sleep } from '../helpers.js'
import { firstArrival } from '../timing.js'
import { eventually, PATIENCE, quiet } from './consumer-helpers.js'

/** What each consume() option and helper promises: concurrency, schema, defaults, stopping. */
export const consumerOptionCases: ConformanceCase[] = [
  {
    id: 'consumer.many-finish-together',
    name: 'consumer: when more than ten handlers succeed at once, every message is acked',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      const total = 24
      for (let i = 0; i < total; i += 10) {
        await queue.sendBatch(Array.from({ length: Math.min(10, total - i) }, (_, j) => ({ payload: i + j })))
      }
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const started = new Set<number>()
      const done = new Set<number>()
      const handles = new Set<string>()
      const consumer = ctx.consume(
        queue,
        async (m) => {
          started.add(m.payload)
          await gate // every handler ends in the same tick
          done.add(m.payload)
          handles.add(m.receiptHandle)
        },
        { ...quiet, concurrency: 16 },
      )
      await eventually(ctx.patience(PATIENCE), '16 handlers running at once', () => started.size >= 16)
      release()
      await eventually(ctx.patience(PATIENCE), `all ${total} handled`, () => done.size >= total)
      // Every delivery that succeeded reaches the driver's ackBatch. (Watching the queue alone races
      // the running consumer, which takes a message whose ack was lost when it comes back.)
      const acked = () => new Set(ctx.driver.callsOf('ackBatch', queue.name).flatMap((c) => c.handles))
      // A delivery whose lease renewal failed is lost (at-least-once allows it on a slow backend): the
      // consumer rightly leaves it alone, and it comes back. Only those are excused.
      const unacked = () => {
        const lost = ctx.driver.lostHandles(queue.name)
        return [...handles].filter((h) => !acked().has(h) && !lost.has(h))
      }
      // An ack goes out within a turn of the event loop; the wait is load, not a slow consumer.
      await eventually(
        ctx.patience(15_000),
        'every succeeded delivery to be acked',
        () => unacked().length === 0,
      ).catch(() => {
        throw new Error(
          `${unacked().length} of ${handles.size} deliveries whose handlers succeeded together were never acked (their leases were not lost)`,
        )
      })
      await consumer.stop()
      const lost = ctx.driver.lostHandles(queue.name)
      const lostIds = new Set(
        ctx.driver
          .deliveriesOf(queue.name)
          .filter((d) => lost.has(d.receiptHandle))
          .map((d) => d.id),
      )
      if (lostIds.size > 0)
        ctx.note(`${lostIds.size} lease(s) lost on a slow backend: those messages may come back`)
      const back = await receiveUntil(queue, ctx.leaseMs * 1.5 + 1_000, () => false)
      const unexplained = back.filter((m) => !lostIds.has(m.id))
      assert.deepEqual(
        unexplained.map((m) => m.id),
        [],
        'a message whose handler succeeded with many others came back (its lease was never lost)',
      )
    },
  },
  {
    id: 'consumer.schema-output',
    name: "consumer: the handler gets the schema's output (defaults and transforms), not the raw payload",
    timeoutMs: () => PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<any>()
      const schema = {
        '~standard': {
          version: 1 as const,
          vendor: 'conformance',
          validate: (value: unknown) => ({
            value: { ...(value as object), priority: 'normal', parsed: true },
          }),
        },
      }
      await queue.send({ job: 1 })
      let got: unknown
      ctx.consume(
        queue,
        (m) => {
          got = m.payload
        },
        { ...quiet, schema },
      )
      await eventually(ctx.patience(PATIENCE), 'the handler to run', () => got !== undefined)
      assert.deepEqual(
        got,
        { job: 1, priority: 'normal', parsed: true },
        "the handler did not get the schema's output",
      )
    },
  },
  {
    id: 'consumer.default-dead-letter-queue',
    name: 'consumer: without a deadLetterQueue option, dead letters go to "<name>-dlq", created on first use',
    timeoutMs: (lease) => lease * 2 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const dlqName = `${queue.name}-dlq`
      ctx.defer(() => ctx.client.deleteQueue(dlqName).catch(() => {}))
      await queue.send('to the default dead-letter queue')
      ctx.consume(queue, (_, c) => c.deadLetter('default dlq'), quiet)
      const deadLetterQueue = ctx.client.queue(dlqName)
      // The consumer creates the queue on its first dead letter: until then it is QUEUE_NOT_FOUND.
      const end = Date.now() + ctx.patience(PATIENCE)
      let dead: Message<any> | undefined
      while (!dead && Date.now() < end) {
        const got = await deadLetterQueue.receive({ waitSeconds: 1 }).catch((error: unknown) => {
          if (!isQueueError(error, 'QUEUE_NOT_FOUND')) throw error
          return sleep(200).then(() => [])
        })
        dead = got[0]
      }
      assert.ok(dead, `nothing arrived in ${dlqName} within ${ctx.patience(PATIENCE) / 1000} s`)
      await deadLetterQueue.ack(dead)
      assert.ok(
        ctx.driver.callsOf('createQueue', dlqName).length > 0,
        `the consumer never created ${dlqName}`,
      )
      assert.equal(dead.payload, 'to the default dead-letter queue')
      assert.equal(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason], 'default dlq')
    },
  },
  {
    id: 'consumer.shutdown-timeout',
    name: 'consumer: stop() ends within shutdownTimeoutMs even while a handler hangs, and releases its message',
    timeoutMs: (lease) => lease * 2 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      const { id } = await queue.send('hangs')
      let started = false
      const consumer = ctx.consume(
        queue,
        async () => {
          started = true
          await new Promise(() => {}) // never settles, whatever the signal says
        },
        { ...quiet, shutdownTimeoutMs: 500 },
      )
      await eventually(ctx.patience(PATIENCE), 'the handler to start', () => started)
      const stopping = Date.now()
      // 500 ms for the handler, then the in-flight poll to end and the release (a nack) to land: a
      // few of the backend's measured round trips, never the handler's whole hang.
      const limit = 5_000 + 3 * ctx.timing.roundTripMs
      await Promise.race([
        consumer.stop(),
        sleep(limit).then(() => {
          throw new Error(
            `stop() waited more than ${limit} ms for a hung handler; its shutdownTimeoutMs is 500 ms (the backend's round trip: ${ctx.timing.roundTripMs} ms)`,
          )
        }),
      ])
      const took = Date.now() - stopping
      assert.ok(took >= 400, `stop() returned after ${took} ms, before its 500 ms shutdown timeout`)
      const back = await firstArrival(queue, ctx.patience(ctx.leaseMs * 3 + 10_000))
      assert.ok(back, `${id}, whose handler outlived the shutdown, never came back`)
      await queue.ack(back.messages[0]!)
    },
  },
  {
    id: 'consumer.signal-stops',
    name: 'consumer: aborting the signal option stops the consumer like stop()',
    timeoutMs: () => PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      const controller = new AbortController()
      const handled: number[] = []
      const consumer = ctx.consume(queue, (m) => void handled.push(m.payload), {
        ...quiet,
        signal: controller.signal,
      })
      await queue.send(1)
      await eventually(ctx.patience(PATIENCE), 'the first message handled', () => handled.length >= 1)
      controller.abort()
      await Promise.race([
        consumer.done,
        sleep(10_000).then(() => {
          throw new Error('the consumer did not stop within 10 s of its signal aborting')
        }),
      ])
      await queue.send(2)
      await sleep(1_500)
      assert.deepEqual(handled, [1], 'a message sent after the signal aborted was handled')
      const left = await receiveOne(queue, ctx.patience(10_000))
      assert.equal(left.payload, 2)
      await queue.ack(left)
    },
  },
  {
    id: 'consumer.redrive-send-fails',
    name: 'redrive: when a send to the target fails, the dead letter stays where it was',
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const deadLetterQueue = await ctx.queue<string>()
      await deadLetterQueue.send('must not be lost')
      ctx.driver.inject({
        method: 'sendBatch',
        queue: queue.name,
        times: Number.POSITIVE_INFINITY,
        error: () => new QueueError('PERMISSION_DENIED', 'injected by the conformance suite: target refuses'),
      })
      await redrive(deadLetterQueue, queue).catch(() => {}) // it may report the failure or throw it
      ctx.driver.clear()
      const back = await firstArrival(deadLetterQueue, ctx.patience(ctx.leaseMs * 2 + 10_000))
      assert.ok(
        back,
        'the dead letter is gone though its send to the target failed: redrive acked before sending',
      )
      assert.equal(back.messages[0]!.payload, 'must not be lost')
      await deadLetterQueue.ack(back.messages[0]!)
    },
  },
  {
    id: 'consumer.backoff-defaults',
    name: 'consumer: the default backoff starts at 1 s, doubles, stops at 300 s, with full jitter',
    requires: [needs.nackDelay(300)],
    timeoutMs: (lease) => lease * 4 + PATIENCE * 2 + 60_000,
    async run(ctx) {
      // Each message is retried (retry(), no failed attempt) until `failAt`, fails once there, and
      // the delay the consumer retries it after is recorded. Attempt 10's ceiling, 1 × 2⁹ = 512 s,
      // is over the 300 s cap. No delay is waited out: only the first failure of each is looked at.
      const sample = async (backoff: ConsumeOptions<number>['backoff'], failAts: number[]) => {
        const queue = await ctx.queue<number>()
        for (let i = 0; i < failAts.length; i += 10)
          await queue.sendBatch(failAts.slice(i, i + 10).map((payload) => ({ payload })))
        const delays = new Map<number, number[]>()
        let samples = 0
        const consumer = ctx.consume(
          queue,
          (m, c) => {
            if (m.attempt < m.payload) return c.retry({ delaySeconds: 0 })
            if (m.attempt === m.payload) throw new Error(`fails at attempt ${m.attempt}`)
          },
          {
            ...quiet,
            concurrency: 10,
            maxAttempts: 20,
            ...(backoff === undefined ? {} : { backoff }),
            onEvent: (event) => {
              if (event.type !== 'retried' || event.message.attempt !== event.message.payload) return
              delays.set(event.message.attempt, [
                ...(delays.get(event.message.attempt) ?? []),
                event.delaySeconds,
              ])
              samples++
            },
          },
        )
        await eventually(
          ctx.patience(PATIENCE * 2),
          `${failAts.length} failures retried`,
          () => samples >= failAts.length,
        )
        await consumer.stop()
        return delays
      }
      const [exact, jittered] = await Promise.all([
        // Without jitter, the defaults are exact: 1 s, then ×2 (4 s at attempt 3), capped at 300 s.
        sample({ jitter: false }, [1, 3, 10]),
        // With no backoff option at all: full jitter, anywhere from 0 to the ceiling (300 s).
        sample(
          undefined,
          Array.from({ length: 16 }, () => 10),
        ),
      ])
      assert.deepEqual(
        [1, 3, 10].map((attempt) => exact.get(attempt)),
        [[1], [4], [300]],
        'backoff { jitter: false }: retry delays at attempts 1, 3 and 10',
      )
      const spread = jittered.get(10) ?? []
      assert.equal(spread.length, 16)
      assert.ok(
        spread.every((d) => d >= 0 && d <= 300),
        `default backoff at attempt 10: delays ${spread.join(', ')} s, beyond the 300 s cap`,
      )
      // Full jitter: uniform over 0..300 s, so 16 samples all at the ceiling, all in its upper
      // half or all in its lower fifth are each less likely than one in 30,000.
      assert.ok(
        spread.some((d) => d !== 300),
        `default backoff: every delay was 300 s, not jittered`,
      )
      assert.ok(
        spread.some((d) => d < 150),
        `default backoff: delays ${spread.join(', ')} s, none below half the ceiling: not full jitter`,
      )
      assert.ok(
        spread.some((d) => d > 60),
        `default backoff: delays ${spread.join(', ')} s, none above 60 s: the cap is not 300 s`,
      )
    },
  },
]
