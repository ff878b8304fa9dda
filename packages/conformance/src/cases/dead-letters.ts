import assert from 'node:assert/strict'
import {
  countMessages,
  DEAD_LETTER_ATTRIBUTES,
  type Message,
  REDRIVE_ATTRIBUTES,
  redrive,
} from '@anyqueue/queue-core'
import type { ConformanceCase } from '../case.js'
import { drain, expectNeverFor, receiveUntil, sleep } from '../helpers.js'
import { assertCopiesPerDelivery, distinct, mayHaveLostLease } from '../lost-leases.js'
import { alwaysFailing, drainOnce, PATIENCE, quiet } from './consumer-helpers.js'

// The consumer's dead-letter promises, and counting and redriving dead letters: `consumer.ts`
// lists them among the consumer's cases, in suite order.

/** A message failing maxAttempts times is dead-lettered once, with its reason. */
export const maxAttemptsDeadLetter: ConformanceCase = {
  id: 'consumer.max-attempts-dead-letter',
  name: 'consumer: after maxAttempts exactly one copy lands in the dead-letter queue, with the reason',
  timeoutMs: (lease) => lease * 4 + PATIENCE + 60_000,
  async run(ctx) {
    const queue = await ctx.queue<{ job: number }>()
    const deadLetterQueue = await ctx.queue()
    await queue.send({ job: 7 }, { attributes: { tenant: 'acme' } })
    const failing = alwaysFailing('boom')
    const consumer = ctx.consume(queue, failing.handler, {
      ...quiet,
      maxAttempts: 2,
      backoff: () => 0,
      deadLetterQueue,
    })
    const [dead] = await drainOnce(deadLetterQueue, ctx.patience(PATIENCE))
    await consumer.stop()
    assert.deepEqual(dead.payload, { job: 7 })
    assert.match(dead.attributes[DEAD_LETTER_ATTRIBUTES.reason] ?? '', /boom/)
    assert.equal(dead.attributes[DEAD_LETTER_ATTRIBUTES.source], queue.name)
    assert.equal(dead.attributes.tenant, 'acme', 'the message keeps its own attributes')
    const deliveries = ctx.driver.deliveriesOf(queue.name)
    if (mayHaveLostLease(ctx.driver, queue.name, ctx.leaseMs).size === 0) {
      assert.equal(failing.calls, 2, 'the handler runs maxAttempts times')
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
      failing.calls >= 2 && failing.calls <= deliveries.length,
      `${failing.calls} handler calls for ${deliveries.length} deliveries`,
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
}

/** Dead letters are counted, and redriven back with their dead-letter ids. */
export const countAndRedrive: ConformanceCase = {
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
      ctx.note(`${again.size} dead letter(s) delivered twice during redrive (a lease lost on a slow backend)`)
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
}

/** countMessages and redrive over several pages: each page counted once, each dead letter moved once. */
export const countAcrossPages: ConformanceCase = {
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
}

/** One dead-letter copy per final delivery, with its attempts, reason, source and own attributes. */
export const deadLetterCopyExact: ConformanceCase = {
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
    assert.ok(finals.length >= 1, `the handler ran at attempts ${attempts.join(', ')}, never at maxAttempts`)
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
}
