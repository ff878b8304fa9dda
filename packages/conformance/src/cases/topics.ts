import assert from 'node:assert/strict'
import {
  countMessages,
  LIMITS,
  type Message,
  type Payload,
  type Queue,
  redrive,
  type Topic,
} from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import { drain, expectNeverFor, expectQueueError, receiveOne, receiveUntil } from '../helpers.js'
import { eventually, PATIENCE, quiet } from './consumer-helpers.js'
import { exactFilterCases, operatorFilterCases } from './topic-filters.js'
import { publishAll, SILENCE_MS, topicTimeout } from './topic-helpers.js'

/** Topics and subscriptions (the README's "Topics" section), on every driver that declares `topics`. */
export const topicCases: ConformanceCase[] = [
  {
    id: 'topics.fan-out',
    name: 'topics: every subscription gets every message published after it existed, payload and attributes intact',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const topic = await ctx.topic()
      const subscriptions = [
        await ctx.subscription(topic),
        await ctx.subscription(topic),
        await ctx.subscription(topic),
      ]
      const payloads = ['text ✓', '', { nested: { list: [1, null, 'x'] } }, null, 42]
      const ids = await publishAll(
        topic,
        payloads.map((payload, i) => ({ payload, attributes: { index: String(i) } })),
      )
      assert.equal(new Set(ids).size, payloads.length, 'publish ids must be distinct')
      for (const [s, subscription] of subscriptions.entries()) {
        const got = await drain(subscription, payloads.length, ctx.patience(20_000))
        assert.equal(got.length, payloads.length, `subscription ${s} got ${got.length} of ${payloads.length}`)
        for (const m of got) {
          const i = Number(m.attributes.index)
          assert.deepEqual(m.payload, payloads[i], `subscription ${s}, message ${i}: payload changed`)
          assert.equal(m.attributes.index, String(i))
          assert.equal(m.attempt, 1, `subscription ${s}, message ${i}: first delivery has attempt 1`)
        }
      }
    },
  },
  {
    id: 'topics.own-lease-and-ack',
    name: 'topics: each subscription has its own lease, attempt count and ack',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const topic = await ctx.topic<string>()
      const a = await ctx.subscription<string>(topic, 'a')
      const b = await ctx.subscription<string>(topic, 'b')
      await topic.publish('shared')
      const inA = await receiveOne(a, ctx.patience(10_000))
      // Leased in a: b's copy is still there for b.
      const inB = await receiveOne(b, ctx.patience(10_000))
      assert.equal(inB.payload, 'shared')
      assert.equal(inB.attempt, 1, 'a delivery in subscription a must not count as an attempt in b')
      await a.ack(inA)
      await b.nack(inB)
      const again = await receiveOne(b, ctx.patience(10_000))
      assert.equal(again.payload, 'shared', 'acking in a must leave b its copy')
      assert.equal(again.attempt, 2, `b's redelivery must have attempt 2, got ${again.attempt}`)
      await b.ack(again)
      await expectNeverFor(a, SILENCE_MS, 'subscription a acked its copy; b nacked its own')
      await expectNeverFor(b, SILENCE_MS, 'subscription b acked its copy')
    },
  },
  {
    id: 'topics.none-before-subscription',
    name: 'topics: a subscription never receives a message published before it was created',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const topic = await ctx.topic<string>()
      const early = await ctx.subscription<string>(topic, 'early')
      await topic.publish('before')
      // The early subscription has it: the topic delivered it before the late one existed.
      const first = await drain(early, 1, ctx.patience(20_000))
      assert.deepEqual(
        first.map((m) => m.payload),
        ['before'],
      )
      const late = await ctx.subscription<string>(topic, 'late')
      await topic.publish('after')
      const got = await drain(late, 1, ctx.patience(20_000))
      assert.deepEqual(
        got.map((m) => m.payload),
        ['after'],
        'the late subscription must get the message published after it existed',
      )
      await expectNeverFor(late, SILENCE_MS, 'a message published before the subscription existed arrived')
      assert.deepEqual(
        (await drain(early, 1, ctx.patience(20_000))).map((m) => m.payload),
        ['after'],
      )
    },
  },
  ...operatorFilterCases,
  {
    id: 'topics.load',
    name: 'topics: 1,000 messages (or the target’s topicLoadMessages) × 3 subscriptions under concurrent consumers, none lost',
    requires: [needs.topics],
    timeoutMs: (lease) => lease * 2 + 240_000,
    async run(ctx) {
      const total = ctx.target.topicLoadMessages ?? 1_000
      const topic = await ctx.topic<number>()
      const subscriptions = [
        await ctx.subscription<number>(topic),
        await ctx.subscription<number>(topic),
        await ctx.subscription<number>(topic),
      ]
      const entries = Array.from({ length: total }, (_, i) => ({ payload: i }))
      const batches: Array<typeof entries> = []
      for (let i = 0; i < total; i += LIMITS.maxBatch) batches.push(entries.slice(i, i + LIMITS.maxBatch))
      let next = 0
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (next < batches.length) await publishAll(topic, batches[next++]!)
        }),
      )
      const receivers = 3
      const report: string[] = []
      await Promise.all(
        subscriptions.map(async (subscription, s) => {
          const seen = new Map<number, number>()
          const end = Date.now() + ctx.patience(180_000)
          // Everything is acked at once, so nothing waits for a lease: once nothing new arrived for
          // this long, the rest is lost, not late.
          const idleMs = ctx.patience(Math.max(15_000, 2 * ctx.leaseMs))
          let lastNew = Date.now()
          await Promise.all(
            Array.from({ length: receivers }, async () => {
              while (
                seen.size < total &&
                Date.now() < end &&
                Date.now() - lastNew < idleMs &&
                !ctx.signal.aborted
              ) {
                const got = await subscription.receive({ maxMessages: 10, waitSeconds: 2 })
                for (const m of got) {
                  if (!seen.has(m.payload)) lastNew = Date.now()
                  seen.set(m.payload, (seen.get(m.payload) ?? 0) + 1)
                }
                if (got.length > 0) await subscription.ackBatch(got)
              }
            }),
          )
          const missing = entries.filter((e) => !seen.has(e.payload)).map((e) => e.payload)
          assert.equal(
            missing.length,
            0,
            `subscription ${s} lost ${missing.length} of ${total} (first: ${missing.slice(0, 10).join(', ')})`,
          )
          const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0)
          report.push(`subscription ${s}: ${duplicates} duplicate(s)`)
        }),
      )
      ctx.note(`${total} messages × 3 subscriptions, ${receivers} receivers each: ${report.join('; ')}`)
    },
  },
  {
    id: 'topics.delete-subscription',
    name: 'topics: deleting one subscription leaves the others intact',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const topic = await ctx.topic<string>()
      const keep1 = await ctx.subscription<string>(topic, 'keep1')
      const gone = await ctx.subscription<string>(topic, 'gone')
      const keep2 = await ctx.subscription<string>(topic, 'keep2')
      await topic.publish('before')
      await ctx.client.deleteSubscription(topic.name, gone.name.split('/')[1]!)
      await ctx.client.deleteSubscription(topic.name, 'gone') // a missing one is a no-op
      await topic.publish('after')
      for (const keep of [keep1, keep2]) {
        const got = await drain(keep, 2, ctx.patience(20_000))
        assert.deepEqual(
          got.map((m) => m.payload).sort(),
          ['after', 'before'],
          `${keep.name} must keep its messages and get new ones`,
        )
      }
      await expectQueueError(
        () => gone.receive({ waitSeconds: 0 }),
        'QUEUE_NOT_FOUND',
        'a deleted subscription',
      )
    },
  },
  {
    id: 'topics.delete-topic',
    name: 'topics: deleting a topic deletes its subscriptions and their messages',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const name = ctx.uniqueName()
      const topic = await ctx.topic<string>(name)
      const subscription = await ctx.subscription<string>(topic, 'sub')
      await topic.publish('old')
      await ctx.client.deleteTopic(name)
      await ctx.client.deleteTopic(name) // a missing one is a no-op
      await expectQueueError(
        () => subscription.receive({ waitSeconds: 0 }),
        'QUEUE_NOT_FOUND',
        'a subscription of a deleted topic',
      )
      await expectQueueError(() => topic.publish('lost'), 'QUEUE_NOT_FOUND', 'a publish to a deleted topic')
      // The same names again: a new subscription, without the old one's messages.
      await ctx.topic<string>(name)
      const again = await ctx.subscription<string>(topic, 'sub')
      await topic.publish('new')
      const got = await drain(again, 1, ctx.patience(20_000))
      assert.deepEqual(
        got.map((m) => m.payload),
        ['new'],
      )
      await expectNeverFor(again, SILENCE_MS, "the deleted subscription's message came back")
    },
  },
  {
    id: 'topics.publish-validation',
    name: 'topics: publish validates like send (size, payload, attributes, batch, names, missing topic)',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const topic = await ctx.topic<Payload>()
      const subscription = await ctx.subscription<Payload>(topic)
      await expectQueueError(() => topic.publish('x'.repeat(65_537)), 'MESSAGE_TOO_LARGE', '65,537 bytes')
      await expectQueueError(
        () => topic.publish('é'.repeat(32_769)),
        'MESSAGE_TOO_LARGE',
        '65,538 UTF-8 bytes',
      )
      await expectQueueError(() => topic.publish(undefined as never), 'INVALID_PAYLOAD', 'undefined')
      await expectQueueError(() => topic.publish('\uD800'), 'INVALID_PAYLOAD', 'a lone surrogate')
      await expectQueueError(
        () => topic.publish('x', { attributes: { 'bad name': 'v' } }),
        'INVALID_ARGUMENT',
        'a bad attribute name',
      )
      await expectQueueError(
        () => topic.publish('x', { delaySeconds: 1 } as never),
        'INVALID_ARGUMENT',
        'a publish with a delay',
      )
      await expectQueueError(
        () => topic.publishBatch(Array.from({ length: 11 }, () => ({ payload: 'x' }))),
        'INVALID_ARGUMENT',
        'a batch of 11',
      )
      await expectQueueError(() => ctx.client.topic('bad/name'), 'INVALID_QUEUE_NAME', 'a bad topic name')
      await expectQueueError(
        () => ctx.client.subscription(topic.name, 'x'.repeat(65)),
        'INVALID_QUEUE_NAME',
        'a 65-character subscription name',
      )
      await expectQueueError(
        () => ctx.client.topic(ctx.uniqueName()).publish('x'),
        'QUEUE_NOT_FOUND',
        'a publish to a missing topic',
      )
      await expectQueueError(
        () => ctx.client.createSubscription(ctx.uniqueName(), 'sub'),
        'QUEUE_NOT_FOUND',
        'a subscription of a missing topic',
      )
      const largest = 'x'.repeat(65_536)
      await topic.publish(largest)
      const [m] = await drain(subscription, 1, ctx.patience(20_000))
      assert.equal(m?.payload, largest, 'exactly 65,536 bytes must be published and delivered whole')
      await expectNeverFor(subscription, 1_000, 'a rejected publish was delivered')
    },
  },
  {
    id: 'topics.consumer-dead-letter',
    name: 'topics: consume() on a subscription acks successes, dead-letters a poison message, and it can be redriven',
    requires: [needs.topics, needs.nackDelay(1)],
    timeoutMs: (lease) => lease * 3 + PATIENCE + 30_000,
    async run(ctx) {
      const topic = await ctx.topic<string>()
      const subscription = await ctx.subscription<string>(topic)
      const other = await ctx.subscription<string>(topic)
      const deadLetterQueue = await ctx.queue<string>()
      const handled: string[] = []
      ctx.consume(
        subscription,
        (message) => {
          if (message.payload === 'poison') throw new Error('cannot handle poison')
          handled.push(message.payload)
        },
        {
          ...quiet,
          maxAttempts: 2,
          deadLetterQueue,
          backoff: { initialDelaySeconds: 1, maxDelaySeconds: 1, jitter: false },
        },
      )
      await publishAll(topic, [{ payload: 'good' }, { payload: 'poison' }, { payload: 'fine' }])
      await eventually(ctx.patience(PATIENCE), 'the good messages handled', () => handled.length >= 2)
      const dead: Message<string>[] = await receiveUntil(
        deadLetterQueue,
        ctx.patience(PATIENCE),
        (seen) => seen.length > 0,
      )
      assert.equal(dead.length, 1, `one message dead-lettered, got ${dead.length}`)
      assert.equal(dead[0]!.payload, 'poison')
      assert.equal(dead[0]!.attributes['dlq-source'], subscription.name)
      await deadLetterQueue.nack(dead[0]!)
      assert.deepEqual([...handled].sort(), ['fine', 'good'])
      // The other subscription's copies are untouched by this consumer.
      const others = await drain(other, 3, ctx.patience(20_000))
      assert.deepEqual(others.map((m) => m.payload).sort(), ['fine', 'good', 'poison'])
      // Redrive: the dead-lettered message goes to a queue that can take it.
      const retryQueue: Queue<string> = await ctx.queue<string>()
      assert.equal(await redrive(deadLetterQueue, retryQueue), 1)
      assert.equal(await countMessages(deadLetterQueue), 0)
      assert.deepEqual(
        (await drain(retryQueue, 1, ctx.patience(20_000))).map((m) => m.payload),
        ['poison'],
      )
    },
  },
  ...exactFilterCases,
  {
    id: 'topics.subscription-names-per-topic',
    name: 'topics: a subscription belongs to its topic — the same name under two topics, or names that join alike, are different subscriptions',
    requires: [needs.topics],
    timeoutMs: topicTimeout,
    async run(ctx) {
      const base = ctx.uniqueName()
      // `jobs` under two topics; and (`<base>-a`, `b`) beside (`<base>`, `a-b`), which a mapping that
      // joins topic and subscription with '-' would make one.
      const pairs: Array<[string, string]> = [
        [`${base}-t1`, 'jobs'],
        [`${base}-t2`, 'jobs'],
        [`${base}-a`, 'b'],
        [base, 'a-b'],
      ]
      const topics = new Map<string, Topic<string>>()
      for (const [topic] of pairs) if (!topics.has(topic)) topics.set(topic, await ctx.topic<string>(topic))
      const subscriptions: Queue<string>[] = []
      for (const [topic, name] of pairs)
        subscriptions.push(await ctx.subscription<string>(topics.get(topic)!, name))
      for (const [topic] of topics) await topics.get(topic)!.publish(`to ${topic}`)
      for (const [i, [topic, name]] of pairs.entries()) {
        const got = await drain(subscriptions[i]!, 1)
        assert.deepEqual(
          got.map((m) => m.payload),
          [`to ${topic}`],
          `subscription ${name} of topic ${topic} got another topic's message`,
        )
      }
      for (const [i, [topic, name]] of pairs.entries())
        await expectNeverFor(
          subscriptions[i]!,
          i === 0 ? SILENCE_MS : 500,
          `subscription ${name} of ${topic} got a second message`,
        )
    },
  },
]
