import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { DEAD_LETTER_ATTRIBUTES } from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import { drain, expectNeverFor, receiveUntil, sleep } from '../helpers.js'
import { mayHaveLostLease } from '../lost-leases.js'
import { drainOnce, eventually, PATIENCE, quiet } from './consumer-helpers.js'
import * as deadLetters from './dead-letters.js'

/** The consumer's promises, on every driver: built only on the portable Queue. */
export const consumerCases: ConformanceCase[] = [
  {
    id: 'consumer.success-acks',
    name: 'consumer: a handler that succeeds acks its message',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      await queue.sendBatch([1, 2, 3, 4, 5].map((payload) => ({ payload })))
      const seen: number[] = []
      const consumer = ctx.consume(queue, (m) => void seen.push(m.payload), { ...quiet, concurrency: 2 })
      await eventually(ctx.patience(PATIENCE), 'five messages handled', () => seen.length >= 5)
      await consumer.stop()
      // A lease lost on a slow backend (at-least-once) may hand a message to the handler again, and
      // bring it back after the stop: only those messages are excused.
      const lost = mayHaveLostLease(ctx.driver, queue.name, ctx.leaseMs)
      assert.deepEqual([...new Set(seen)].sort(), [1, 2, 3, 4, 5])
      if (lost.size === 0) assert.equal(seen.length, 5, `handled ${seen.length} times for 5 messages`)
      else ctx.note(`${lost.size} lease(s) lost on a slow backend`)
      const back = await receiveUntil(queue, ctx.leaseMs * 1.5, () => false)
      assert.deepEqual(
        back.filter((m) => !lost.has(m.id)).map((m) => m.payload),
        [],
        'a message whose handler succeeded came back (its lease was never lost)',
      )
    },
  },
  {
    id: 'consumer.retry-grows',
    name: 'consumer: a failing handler is retried with growing delays',
    requires: [needs.nackDelay(2)],
    timeoutMs: () => PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('flaky')
      const calls: Array<{ at: number; attempt: number }> = []
      const delays: number[] = []
      const consumer = ctx.consume(
        queue,
        (m) => {
          calls.push({ at: Date.now(), attempt: m.attempt })
          if (calls.length < 3) throw new Error(`failure ${calls.length}`)
        },
        {
          ...quiet,
          backoff: { initialDelaySeconds: 1, multiplier: 2, jitter: false },
          maxAttempts: 5,
          onEvent: (event) => {
            if (event.type === 'retried') delays.push(event.delaySeconds)
          },
        },
      )
      await eventually(ctx.patience(PATIENCE), 'the third call', () => calls.length >= 3)
      await consumer.stop()
      assert.equal(calls.length, 3, 'two failures then a success: three calls')
      assert.deepEqual(
        calls.map((c) => c.attempt),
        [1, 2, 3],
      )
      const first = calls[1]!.at - calls[0]!.at
      const second = calls[2]!.at - calls[1]!.at
      assert.ok(first >= 900, `the first retry came after ${first} ms, before its 1 s backoff`)
      assert.ok(second >= 1_800, `the second retry came after ${second} ms, before its 2 s backoff`)
      // Wall-clock gaps only have lower bounds (a loaded backend may be late); the growth itself is
      // what the consumer asked the queue for.
      assert.deepEqual(delays, [1, 2], 'the nack delays double from the initial one')
    },
  },
  deadLetters.maxAttemptsDeadLetter,
  deadLetters.countAndRedrive,
  {
    id: 'consumer.renews-slow-handler',
    name: 'consumer: a handler slower than two leases keeps its message (lease renewal)',
    requires: [needs.renewLease],
    timeoutMs: (lease) => lease * 6 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('slow')
      let calls = 0
      let finished = false
      const errors: string[] = []
      const consumer = ctx.consume(
        queue,
        async () => {
          calls++
          await sleep(ctx.leaseMs * 2.2)
          finished = true
        },
        { ...quiet, concurrency: 2, onError: (error) => void errors.push(String(error)) },
      )
      // The message's own handler must end first (a late timer on a busy machine only delays it):
      // a stop while it still runs is another promise, `consumer.stop-drains`.
      await eventually(ctx.patience(ctx.leaseMs * 4 + PATIENCE), 'the slow handler to finish', () => finished)
      await sleep(ctx.leaseMs * 0.3) // its ack on the way
      await consumer.stop()
      const seen = errors.length > 0 ? ` (the consumer reported: ${errors.slice(0, 2).join('; ')})` : ''
      // A renewal that failed, or an ack answered only after the lease could have ended (a slow
      // backend), is a lost lease, which at-least-once allows: then the message may run again and
      // come back, once per delivery.
      if (mayHaveLostLease(ctx.driver, queue.name, ctx.leaseMs).size === 0) {
        assert.equal(calls, 1, `the message was redelivered while its handler ran${seen}`)
        await expectNeverFor(queue, ctx.leaseMs * 1.2, `the slow message came back after it succeeded${seen}`)
      } else {
        ctx.note('a lease may have been lost on a slow backend: judged per delivery')
        const delivered = ctx.driver.deliveriesOf(queue.name).length
        assert.ok(calls <= delivered, `${calls} handler calls for ${delivered} deliveries${seen}`)
      }
    },
  },
  {
    id: 'consumer.stop-drains',
    name: 'consumer: stop lets running handlers finish and starts nothing new',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<number>()
      await queue.sendBatch([1, 2, 3].map((payload) => ({ payload })))
      const started: number[] = []
      let finished = 0
      let signalled = false
      const consumer = ctx.consume(
        queue,
        async (m, c) => {
          started.push(m.payload)
          await sleep(1_000)
          signalled = c.signal.aborted
          finished++
        },
        { ...quiet, concurrency: 1 },
      )
      await eventually(ctx.patience(PATIENCE), 'a handler to start', () => started.length >= 1)
      await consumer.stop()
      assert.equal(finished, started.length, 'stop resolved before a running handler finished')
      assert.equal(started.length, 1, 'a handler started after stop')
      assert.ok(signalled, "the handler's signal should abort when the consumer stops")
      const rest = await drain(queue, 2, ctx.patience(ctx.leaseMs * 2 + 15_000))
      assert.deepEqual(
        rest.map((m) => m.payload).sort(),
        [1, 2, 3].filter((n) => n !== started[0]),
        'the finished message was acked; the others stay for the next consumer',
      )
    },
  },
  {
    id: 'consumer.sigkill-redelivers',
    name: 'consumer: killed with SIGKILL mid-handler, its message goes to the next consumer',
    requires: [needs.sharedAcrossProcesses],
    timeoutMs: (lease) => lease * 3 + PATIENCE + 60_000,
    async run(ctx) {
      const name = (await ctx.queue()).name
      const { id } = await ctx.client.queue(name).send('survive the kill')
      await ctx.client.close() // an embedded store admits one process: hand it to the child
      const { module, env } = ctx.target.process!
      const child = ctx.track(
        spawn(
          process.execPath,
          [fileURLToPath(new URL('../child-consumer.js', import.meta.url)), module, ctx.store, name],
          { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } },
        ),
      )
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error('the child consumer never started a handler')),
          ctx.patience(PATIENCE),
        )
        child.once('error', reject)
        child.once('exit', (code) => reject(new Error(`the child consumer exited early (${code})`)))
        child.stdout!.on('data', (chunk: Buffer) => {
          if (!chunk.toString().includes(`started ${id}`)) return
          clearTimeout(timer)
          child.removeAllListeners('exit')
          child.once('exit', () => resolve())
          child.kill('SIGKILL')
        })
      })
      const client = await ctx.reopen()
      const handled: Array<{ id: string; attempt: number }> = []
      const consumer = ctx.consume(
        client.queue(name),
        (m) => void handled.push({ id: m.id, attempt: m.attempt }),
        quiet,
      )
      await eventually(
        ctx.patience(ctx.leaseMs * 3 + PATIENCE),
        'the message to come back',
        () => handled.length > 0,
      )
      await consumer.stop()
      assert.equal(handled[0]!.id, id)
      assert.ok(handled[0]!.attempt >= 2, `attempt ${handled[0]!.attempt}: the killed delivery should count`)
    },
  },
  {
    id: 'consumer.invalid-payload-dead-letter',
    name: 'consumer: an invalid payload is dead-lettered at once, never retried',
    timeoutMs: () => PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<any>()
      const deadLetterQueue = await ctx.queue()
      const schema = {
        '~standard': {
          version: 1 as const,
          vendor: 'conformance',
          validate: (value: unknown) =>
            typeof (value as { id?: unknown })?.id === 'number'
              ? { value: value as { id: number } }
              : { issues: [{ message: 'expected a number', path: ['id'] }] },
        },
      }
      await queue.send({ id: 'not a number' })
      let calls = 0
      const consumer = ctx.consume(queue, () => void calls++, { ...quiet, schema, deadLetterQueue })
      const [dead] = await drainOnce(deadLetterQueue, ctx.patience(PATIENCE))
      await consumer.stop()
      assert.equal(calls, 0, 'the handler must not see an invalid payload')
      assert.equal(dead.attributes[DEAD_LETTER_ATTRIBUTES.attempts], '1')
      assert.match(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason] ?? '', /id: expected a number/)
    },
  },
  deadLetters.countAcrossPages,
  deadLetters.deadLetterCopyExact,
]
