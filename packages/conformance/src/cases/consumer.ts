import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  countMessages,
  DEAD_LETTER_ATTRIBUTES,
  type Message,
  REDRIVE_ATTRIBUTES,
  redrive,
} from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import { drain, expectNeverFor, receiveOne, receiveUntil, sleep } from '../helpers.js'
import { assertCopiesPerDelivery, distinct, mayHaveLostLease } from '../lost-leases.js'

/** Polls `check` until it holds or `ms` pass; fails with `what` otherwise, or at once when `broken` says why. */
export async function eventually(
  ms: number,
  what: string,
  check: () => boolean,
  broken?: () => string | undefined,
): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    // A promise already seen broken fails now, not when the wait runs out.
    const seen = broken?.()
    assert.equal(seen, undefined, seen)
    assert.ok(Date.now() < end, `timed out after ${ms} ms waiting for ${what}`)
    await sleep(50)
  }
}

export const quiet = { onError: () => {}, waitSeconds: 1 }

/**
 * How long to wait for something that should happen within seconds. Generous on purpose: the suite
 * runs many cases at once against one emulator, and on a loaded machine "soon" can take a while.
 * It only bounds how long a failing case takes to report, never what passes.
 */
export const PATIENCE = 60_000

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
  {
    id: 'consumer.max-attempts-dead-letter',
    name: 'consumer: after maxAttempts exactly one copy lands in the dead-letter queue, with the reason',
    timeoutMs: (lease) => lease * 4 + PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<{ job: number }>()
      const deadLetterQueue = await ctx.queue()
      await queue.send({ job: 7 }, { attributes: { tenant: 'acme' } })
      let calls = 0
      const consumer = ctx.consume(
        queue,
        () => {
          calls++
          throw new Error('boom')
        },
        { ...quiet, maxAttempts: 2, backoff: () => 0, deadLetterQueue },
      )
      const [dead] = await drainOnce(deadLetterQueue, ctx.patience(PATIENCE))
      await consumer.stop()
      assert.deepEqual(dead.payload, { job: 7 })
      assert.match(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason] ?? '', /boom/)
      assert.equal(dead.attributes[DEAD_LETTER_ATTRIBUTES.source], queue.name)
      assert.equal(dead.attributes.tenant, 'acme', 'the message keeps its own attributes')
      const deliveries = ctx.driver.deliveriesOf(queue.name)
      if (mayHaveLostLease(ctx.driver, queue.name, ctx.leaseMs).size === 0) {
        assert.equal(calls, 2, 'the handler runs maxAttempts times')
        assert.equal(dead.attributes[DEAD_LETTER_ATTRIBUTES.attempts], '2')
        await expectNeverFor(deadLetterQueue, ctx.leaseMs + 1_000, 'a second dead-letter copy appeared')
        await expectNeverFor(queue, ctx.leaseMs + 1_000, 'the dead-lettered message is still in its queue')
        return
      }
      // A lease lost on a slow backend (at-least-once) redelivers with attempt + 1 without a failure
      // of ours: at most one handler call and one copy per delivery, dead-lettered no sooner than
      // maxAttempts.
      ctx.note('a lease was lost on a slow backend: judged per delivery')
      assert.ok(
        calls >= 2 && calls <= deliveries.length,
        `${calls} handler calls for ${deliveries.length} deliveries`,
      )
      const attempts = Number(dead.attributes[DEAD_LETTER_ATTRIBUTES.attempts])
      assert.ok(attempts >= 2, `dead-lettered after ${attempts} attempts; maxAttempts is 2`)
      const more = await receiveUntil(deadLetterQueue, ctx.leaseMs + 1_000, () => false)
      const late = deliveries.filter((d) => d.attempt >= 2).length
      assert.ok(
        1 + distinct(more).length <= late,
        `${1 + distinct(more).length} dead-letter copies for ${late} deliveries at or past maxAttempts`,
      )
    },
  },
  {
    id: 'consumer.count-and-redrive',
    name: 'consumer: dead letters can be counted and redriven back',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const deadLetterQueue = await ctx.queue()
      await queue.sendBatch(['a', 'b', 'c'].map((payload) => ({ payload })))
      const consumer = ctx.consume(queue, (_, c) => c.deadLetter('not today'), { ...quiet, deadLetterQueue })
      let counted = 0
      const end = Date.now() + ctx.patience(PATIENCE)
      while (counted < 3 && Date.now() < end) {
        await sleep(500)
        counted = await countMessages(deadLetterQueue)
      }
      await consumer.stop() // every dead-letter send has settled: the count is final now
      counted = await countMessages(deadLetterQueue)
      // A lease lost on a slow backend brings a message back after its copy was sent, and that
      // delivery is dead-lettered again (at-least-once): each message has one copy per delivery at
      // most, and exactly one when it was delivered once.
      const wanted = Math.max(3, counted)
      const read = await receiveUntil(
        deadLetterQueue,
        ctx.patience(20_000),
        (got) => distinct(got).length >= wanted,
      )
      read.push(...(await deadLetterQueue.receive({ maxMessages: 10, waitSeconds: 1 }))) // any beyond the count
      const dead = distinct(read)
      assertCopiesPerDelivery(ctx.driver, queue.name, dead)
      for (const m of read) await deadLetterQueue.nack(m).catch(() => {}) // read, not taken: redrive moves them
      assert.equal(counted, dead.length, 'count the dead letters')
      const before = ctx.driver.deliveriesOf(deadLetterQueue.name).length
      assert.equal(await redrive(deadLetterQueue, queue, { limit: 2 }), 2, 'redrive honours its limit')
      const rest = await redrive(deadLetterQueue, queue)
      // Redrive is at-least-once too: a dead letter whose lease ran out before its ack is delivered
      // again and moved again. Only such a second delivery excuses a second move.
      const during = ctx.driver.deliveriesOf(deadLetterQueue.name).slice(before)
      const again = new Set(
        during.filter((d, i) => during.findIndex((e) => e.id === d.id) !== i).map((d) => d.id),
      )
      const moved = 2 + rest
      const left = await countMessages(deadLetterQueue)
      if (again.size === 0) {
        assert.equal(rest, counted - 2, 'redrive without a limit moves the rest')
        assert.equal(left, 0, 'dead letters left after redrive')
      } else {
        ctx.note(
          `${again.size} dead letter(s) delivered twice during redrive (a lease lost on a slow backend)`,
        )
        assert.ok(
          moved >= counted && moved <= during.length,
          `redrive moved ${moved} for ${counted} dead letters, delivered ${during.length} times`,
        )
        assert.ok(
          left <= again.size,
          `${left} dead letters left after redrive; only ${again.size} lost a lease`,
        )
      }
      const back = await drain(queue, moved, ctx.patience(20_000))
      assert.equal(back.length, moved, 'every message redrive sent arrives')
      assert.deepEqual(
        [...new Set(back.map((m) => m.payload))].sort(),
        [...new Set(dead.map((m) => m.payload))].sort(),
        'redrive brings back exactly the dead letters',
      )
      // The dlq- attributes stay behind; the id each had in the dead-letter queue goes along.
      for (const m of back) {
        assert.deepEqual(Object.keys(m.attributes), [REDRIVE_ATTRIBUTES.originalId], 'redriven attributes')
        assert.notEqual(m.attributes[REDRIVE_ATTRIBUTES.originalId], m.id)
      }
      assert.deepEqual(
        [...new Set(back.map((m) => m.attributes[REDRIVE_ATTRIBUTES.originalId]))].sort(),
        dead.map((m) => m.id).sort(),
        'each redriven message keeps its own dead-letter id',
      )
    },
  },
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
  {
    id: 'consumer.count-across-pages',
    name: 'countMessages and redrive: every page counted once and released, every dead letter moved once, limits exact',
    timeoutMs: (lease) => lease * 3 + PATIENCE + 60_000,
    async run(ctx) {
      const deadLetterQueue = await ctx.queue<number>()
      const target = await ctx.queue<number>()
      const total = 25 // two full pages of 10 and a half
      for (let i = 0; i < total; i += 10)
        await deadLetterQueue.sendBatch(
          Array.from({ length: Math.min(10, total - i) }, (_, j) => ({
            payload: i + j,
            attributes: { n: String(i + j), [DEAD_LETTER_ATTRIBUTES.reason]: 'dead' },
          })),
        )
      // countMessages leases to count: exact while its leases hold. A count that took a whole lease
      // may have seen a page come back (counted once, by id) and stopped early; only then is a
      // short count excused, and counted again.
      const countExactly = async (expected: number, what: string) => {
        for (let tries = 1; ; tries++) {
          const started = Date.now()
          const counted = await countMessages(deadLetterQueue)
          const took = Date.now() - started
          if (counted === expected) return
          assert.ok(took >= ctx.leaseMs, `${what}: counted ${counted}, expected ${expected} (in ${took} ms)`)
          if (tries === 3) {
            ctx.note(`${what}: three counts each outlasted the ${ctx.leaseMs} ms lease; not checked`)
            return
          }
        }
      }
      await countExactly(total, 'count every page')
      // A count releases what it leased, every page of it: counting again at once finds them all.
      await countExactly(total, 'count again, right after')
      assert.equal(await redrive(deadLetterQueue, target, { limit: 12 }), 12, 'a limit across pages')
      const started = Date.now()
      const rest = await redrive(deadLetterQueue, target)
      // A lease lost mid-redrive may move a dead letter twice (sent, then acked too late): more,
      // never fewer.
      if (Date.now() - started < ctx.leaseMs) assert.equal(rest, total - 12, 'the rest, every page')
      else assert.ok(rest >= total - 12, `redrive moved ${rest} of the ${total - 12} left`)
      await countExactly(0, 'redrive left dead letters behind')
      const back = await drain(target, total, ctx.patience(PATIENCE))
      const payloads = [...new Set(back.map((m) => m.payload))].sort((a, b) => a - b)
      assert.deepEqual(
        payloads,
        Array.from({ length: total }, (_, i) => i),
        'every dead letter is moved to the target',
      )
      for (const m of back)
        assert.deepEqual(
          m.attributes,
          {
            n: String(m.payload),
            [REDRIVE_ATTRIBUTES.originalId]: m.attributes[REDRIVE_ATTRIBUTES.originalId],
          },
          'a redriven message keeps its own attributes and its dead-letter id only',
        )
    },
  },
  {
    id: 'consumer.dead-letter-copy-exact',
    name: 'consumer: a dead letter is one copy per final delivery, with attempts, reason, source and up to 5 own attributes',
    timeoutMs: (lease) => lease * 4 + PATIENCE + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const deadLetterQueue = await ctx.queue<string>()
      const own = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`own${i}`, `value ${i}`]))
      await queue.send('poison', { attributes: own })
      const attempts: number[] = []
      const consumer = ctx.consume(
        queue,
        (m) => {
          attempts.push(m.attempt)
          throw new Error('always fails')
        },
        { ...quiet, maxAttempts: 3, backoff: () => 0, deadLetterQueue },
      )
      const copies: Message<string>[] = []
      const collect = async (ms: number, untilOne: boolean) => {
        const end = Date.now() + ms
        while (Date.now() < end && !(untilOne && copies.length > 0)) {
          const got = await deadLetterQueue.receive({ maxMessages: 10, waitSeconds: 1 })
          copies.push(...got)
          if (got.length > 0) await deadLetterQueue.ackBatch(got)
        }
      }
      await collect(ctx.patience(PATIENCE), true)
      await consumer.stop()
      // A copy still on its way (a final delivery dead-lettered twice) lands within a lease.
      await collect(ctx.leaseMs + 1_000, false)
      // One copy per delivery at or past maxAttempts: exactly one unless a lease ran out and the
      // message was delivered (and dead-lettered) once more, which at-least-once allows.
      const finals = attempts.filter((a) => a >= 3)
      assert.ok(
        finals.length >= 1,
        `the handler ran at attempts ${attempts.join(', ')}, never at maxAttempts`,
      )
      assert.equal(
        copies.length,
        finals.length,
        `${copies.length} dead-letter copies for ${finals.length} final deliveries (attempts ${attempts.join(', ')})`,
      )
      for (const dead of copies) {
        assert.equal(dead.payload, 'poison')
        assert.ok(
          finals.map(String).includes(dead.attributes[DEAD_LETTER_ATTRIBUTES.attempts] ?? ''),
          `dlq-attempts is ${dead.attributes[DEAD_LETTER_ATTRIBUTES.attempts]}; the final attempts were ${finals.join(', ')}`,
        )
        assert.match(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason] ?? '', /always fails/)
        assert.equal(dead.attributes[DEAD_LETTER_ATTRIBUTES.source], queue.name)
        const kept = Object.entries(dead.attributes).filter(([name]) => !name.startsWith('dlq-'))
        assert.equal(
          kept.length,
          5,
          `a dead letter keeps 5 of the message's 6 own attributes, kept ${kept.length}`,
        )
        for (const [name, value] of kept) assert.equal(value, own[name], `own attribute ${name} changed`)
      }
      await expectNeverFor(queue, ctx.leaseMs + 1_000, 'the dead-lettered message is still in its queue')
    },
  },
]

/** The first message(s) to arrive on `queue`, acked. */
export async function drainOnce(
  queue: Parameters<typeof receiveOne>[0],
  ms: number,
): Promise<[Message<any>]> {
  const m = await receiveOne(queue, ms)
  await queue.ack(m)
  return [m]
}
