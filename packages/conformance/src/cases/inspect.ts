import assert from 'node:assert/strict'
import type { Payload, Queue, QueueStats } from '@anyqueue/queue-core'
import type { Capabilities, StatsField } from '@anyqueue/queue-core/driver'
import type { ConformanceCase, Requirement } from '../case.js'
import type { CaseContext } from '../context.js'
import { drain, receiveOne, receiveUntil, sleep } from '../helpers.js'

/**
 * Looking never changes a queue (`stats()`, `peek()`): the counts follow sends, receives, acks,
 * nacks and delayed sends within the declared exactness, and neither look counts a delivery, takes
 * or releases a lease, or reorders anything.
 */

const lookRequirement = (label: string, unmet: (caps: Capabilities) => string | undefined): Requirement => ({
  label,
  unmet,
})

/** The driver counts `fields` (each of them, in `capabilities.stats`). */
const needsStats = (...fields: StatsField[]) =>
  lookRequirement(`stats ${fields.join(', ')}`, (caps) => {
    if (!caps.stats) return 'the driver declares stats: false (no counts it can read without receiving)'
    const missing = fields.filter((f) => caps.stats && caps.stats[f] === undefined)
    return missing.length === 0 ? undefined : `the driver's stats do not count ${missing.join(', ')}`
  })

const needsPeek = lookRequirement('peek', (caps) =>
  caps.peek ? undefined : 'the driver declares peek: false (it can only look by receiving)',
)

const needsDelay = (seconds: number) =>
  lookRequirement(`delay ≥ ${seconds}`, (caps) =>
    caps.delay >= seconds ? undefined : `the driver declares delay: ${caps.delay}`,
  )

const needsTopics = lookRequirement('topics', (caps) =>
  caps.topics ? undefined : 'the driver declares topics: false (no topics and subscriptions)',
)

type Counts = Partial<Pick<QueueStats, 'visible' | 'inFlight' | 'delayed'>> & { hidden?: number }

/**
 * The queue's stats agree with `expected` on every field the driver counts (`hidden` is `inFlight +
 * delayed`, for a delayed nack, which some backends count as either). Exact fields must agree on the
 * first look; approximate ones may take until `ctx.patience` to converge. `active` must be
 * `visible + inFlight` where both are expected.
 */
async function expectStats(ctx: CaseContext, queue: Queue<any>, expected: Counts, when: string) {
  const declared = ctx.capabilities.stats
  assert.ok(declared, 'stats() cases run only where stats are declared')
  const approximate = Object.values(declared).includes('approximate')
  const deadline = Date.now() + (approximate ? ctx.patience(60_000) : 0)
  for (;;) {
    const stats = await queue.stats()
    const wrong = disagreements(stats, expected, declared)
    if (wrong.length === 0) return stats
    if (Date.now() >= deadline) {
      assert.fail(
        `${when}: stats() reported ${JSON.stringify(stats)}; ${wrong.join('; ')}${approximate ? ' (approximate counts, after waiting for them to converge)' : ''}`,
      )
    }
    await sleep(500)
  }
}

function disagreements(
  stats: QueueStats,
  expected: Counts,
  declared: Readonly<Partial<Record<StatsField, unknown>>>,
): string[] {
  const wrong: string[] = []
  for (const field of ['visible', 'inFlight', 'delayed'] as const) {
    const want = expected[field]
    if (want === undefined || declared[field] === undefined) continue
    if (stats[field] !== want) wrong.push(`${field} must be ${want}, is ${stats[field]}`)
  }
  if (expected.hidden !== undefined && declared.inFlight !== undefined && declared.delayed !== undefined) {
    const hidden = (stats.inFlight ?? 0) + (stats.delayed ?? 0)
    if (hidden !== expected.hidden) wrong.push(`inFlight + delayed must be ${expected.hidden}, is ${hidden}`)
  }
  if (
    expected.hidden !== undefined &&
    expected.visible !== undefined &&
    declared.active !== undefined &&
    declared.delayed !== undefined &&
    declared.inFlight === undefined
  ) {
    // Active and delayed alone (Service Bus): the hidden messages are in one or the other.
    const all = (stats.active ?? 0) + (stats.delayed ?? 0)
    const want = expected.visible + expected.hidden
    if (all !== want) wrong.push(`active + delayed must be ${want}, is ${all}`)
  }
  if (declared.active !== undefined && expected.visible !== undefined && expected.inFlight !== undefined) {
    const want = expected.visible + expected.inFlight
    if (stats.active !== want) wrong.push(`active (visible + in flight) must be ${want}, is ${stats.active}`)
  }
  return wrong
}

/**
 * Receives every one of `count` messages, checking each arrives with the attempt its real deliveries
 * give it: a first delivery, or one more than `delivered` says it had before the looks.
 */
async function receiveFirstDeliveries<T extends Payload>(
  ctx: CaseContext,
  queue: Queue<T>,
  count: number,
  delivered: ReadonlyMap<string, number> = new Map(),
) {
  const got = await drain(queue, count, ctx.patience(20_000))
  assert.equal(got.length, count, `expected ${count} messages after looking, got ${got.length}`)
  for (const m of got) {
    assert.equal(
      m.attempt,
      (delivered.get(m.id) ?? 0) + 1,
      `${m.id} arrived with attempt ${m.attempt} after only looks: a look counted as a delivery`,
    )
  }
  return got
}

export const inspectCases: ConformanceCase[] = [
  {
    id: 'inspect.stats-follow-the-queue',
    name: 'stats(): counts follow sends, receives, acks and nacks, and looking delivers nothing',
    requires: [needsStats('active')],
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await expectStats(ctx, queue, { visible: 0, inFlight: 0, delayed: 0 }, 'an empty queue')
      await queue.sendBatch(['a', 'b', 'c'].map((payload) => ({ payload })))
      await expectStats(ctx, queue, { visible: 3, inFlight: 0, delayed: 0 }, 'after 3 sends')
      const m = await receiveOne(queue, ctx.patience(10_000))
      await expectStats(ctx, queue, { visible: 2, inFlight: 1 }, 'after receiving 1 of 3')
      await queue.nack(m)
      await expectStats(ctx, queue, { visible: 3, inFlight: 0 }, 'after nacking it')
      // Without FIFO the next receive may bring another message: the nacked one then stays, delivered once.
      const again = await receiveOne(queue, ctx.patience(10_000))
      await queue.ack(again)
      await expectStats(ctx, queue, { visible: 2, inFlight: 0, delayed: 0 }, 'after receiving and acking 1')
      for (let look = 0; look < 3; look++) await queue.stats()
      await receiveFirstDeliveries(ctx, queue, 2, new Map(again.id === m.id ? [] : [[m.id, 1]]))
    },
  },
  {
    id: 'inspect.stats-delayed',
    name: 'stats(): a delayed send counts as delayed and a delayed nack as hidden, not visible',
    requires: [needsStats('active', 'delayed'), needsDelay(60)],
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await queue.send('later', { delaySeconds: 60 })
      await queue.send('now')
      await expectStats(
        ctx,
        queue,
        { visible: 1, inFlight: 0, delayed: 1 },
        'after a delayed and a plain send',
      )
      if (ctx.capabilities.nackDelay < 60) return
      const m = await receiveOne(queue, ctx.patience(10_000))
      await queue.nack(m, { delaySeconds: 60 })
      await expectStats(
        ctx,
        queue,
        { visible: 0, hidden: 2 },
        'after nacking the plain one with a 60 s delay',
      )
    },
  },
  {
    id: 'inspect.stats-subscription',
    name: "stats(): a subscription's counts, by its address, follow what was published to it",
    requires: [needsStats('active'), needsTopics],
    async run(ctx) {
      const topic = await ctx.topic<string>()
      const subscription = await ctx.subscription<string>(topic)
      await expectStats(ctx, subscription, { visible: 0, inFlight: 0 }, 'a new subscription')
      await topic.publish('one')
      await topic.publish('two')
      await expectStats(ctx, subscription, { visible: 2, inFlight: 0 }, 'after 2 publishes')
      const m = await receiveOne(subscription, ctx.patience(10_000))
      await expectStats(ctx, subscription, { visible: 1, inFlight: 1 }, 'after receiving 1 of 2')
      await subscription.ack(m)
      await expectStats(ctx, subscription, { visible: 1, inFlight: 0 }, 'after acking it')
    },
  },
  {
    id: 'inspect.peek-changes-nothing',
    name: 'peek(): shows the messages in order with 0 deliveries, again and again; the receive after gets attempt 1',
    requires: [needsPeek],
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const sent: string[] = []
      for (const payload of ['first', 'second', 'third']) sent.push((await queue.send(payload)).id)
      for (let look = 1; look <= 3; look++) {
        const seen = await queue.peek({ maxMessages: 10 })
        const ids = seen.map((m) => m.id)
        if (ctx.capabilities.fifo)
          assert.deepEqual(ids, sent, `look ${look}: peek must show the messages in sent order`)
        else assert.deepEqual([...ids].sort(), [...sent].sort(), `look ${look}: peek must show every message`)
        for (const m of seen) {
          assert.equal(
            m.deliveries,
            0,
            `look ${look}: ${m.id} shows ${m.deliveries} deliveries; it was never received`,
          )
          assert.ok(
            m.state === 'visible' || m.state === 'active',
            `look ${look}: ${m.id} is ${m.state}, not visible`,
          )
          assert.equal(
            (m as { receiptHandle?: string }).receiptHandle,
            undefined,
            'a peeked message has no receipt handle',
          )
        }
        const one = await queue.peek({ maxMessages: 1 })
        assert.deepEqual(
          one.map((m) => m.id),
          ctx.capabilities.fifo ? [sent[0]] : [one[0]?.id],
        )
        assert.equal(one.length, 1, 'peek({ maxMessages: 1 }) must show one message')
      }
      const got = await receiveUntil(queue, ctx.patience(20_000), (seen) => seen.length >= 3)
      assert.equal(got.length, 3, `expected the 3 peeked messages, received ${got.length}`)
      for (const m of got)
        assert.equal(
          m.attempt,
          1,
          `${m.id} came with attempt ${m.attempt} after 6 peeks: peeking counted as a delivery`,
        )
      if (ctx.capabilities.fifo)
        assert.deepEqual(
          got.map((m) => m.id),
          sent,
          'peeking must not change the order',
        )
    },
  },
  {
    id: 'inspect.peek-while-leased',
    name: 'peek(): a leased message shows 1 delivery and stays leased; its nack brings it back with attempt 2',
    requires: [needsPeek],
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await queue.send('leased')
      const m = await receiveOne(queue, ctx.patience(10_000))
      const receivedAt = Date.now()
      const seen = await queue.peek({ maxMessages: 10 })
      const shown = seen.find((p) => p.id === m.id)
      assert.ok(
        shown,
        `peek must show the leased message ${m.id}; it showed ${JSON.stringify(seen.map((p) => p.id))}`,
      )
      assert.equal(
        shown.deliveries,
        1,
        `the leased ${m.id} shows ${shown.deliveries} deliveries; it was received once`,
      )
      assert.ok(
        shown.state === 'inFlight' || shown.state === 'active',
        `the leased ${m.id} is shown ${shown.state}`,
      )
      const during = await queue.receive({ waitSeconds: 0 })
      // Judged only while the lease surely lasts: a slow machine may have let it run out meanwhile.
      if (Date.now() - receivedAt < ctx.leaseMs / 2) {
        assert.deepEqual(
          during.map((d) => d.id),
          [],
          `${m.id} was received again while leased, right after a peek: the peek released its lease`,
        )
      }
      // The latest delivery is nacked: after the receive (and perhaps one more, if the lease ran out).
      const latest = during.find((d) => d.id === m.id) ?? m
      await queue.nack(latest)
      const back = await receiveOne(queue, ctx.patience(ctx.leaseMs * 2 + 10_000))
      assert.equal(back.id, m.id)
      assert.equal(
        back.attempt,
        latest.attempt + 1,
        `after ${latest.attempt} receive(s) and a peek, the nacked ${m.id} came back with attempt ${back.attempt}`,
      )
      await queue.ack(back)
    },
  },
]
