import assert from 'node:assert/strict'
import type { Queue, QueueClient } from '@anyqueue/queue-core'
import type { ConformanceCase } from '../case.js'
import type { CaseContext } from '../context.js'
import { drain, expectQueueError, receiveOne, sleep } from '../helpers.js'
import { firstArrival } from '../timing.js'
import { PATIENCE } from './consumer-helpers.js'

/** Every public call, as a trait: each must fail with CLOSED once its queue or client is closed. */
function everyCall(client: QueueClient, queue: Queue<any>, handle: string): Array<[string, () => unknown]> {
  return [
    ['send', () => queue.send('after close')],
    ['sendBatch', () => queue.sendBatch([{ payload: 'after close' }])],
    ['receive', () => queue.receive({ waitSeconds: 0 })],
    ['ack', () => queue.ack(handle)],
    ['ackBatch', () => queue.ackBatch([handle])],
    ['nack', () => queue.nack(handle)],
    ['renewLease', () => queue.renewLease(handle)],
    ['client.queue', () => client.queue(queue.name)],
    ['client.createQueue', () => client.createQueue(queue.name)],
    ['client.deleteQueue', () => client.deleteQueue(queue.name)],
  ]
}

/** `promise`, or a failure saying `why` once `seconds` passed. */
async function within<T>(ms: number, promise: Promise<T>, why: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${why} (still pending after ${ms} ms)`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/**
 * How long cutting a 20 s long poll short may take: 5 s, plus a few of the backend's measured round
 * trips (closing a connection is calls too), and always well short of the poll's own 20 s.
 */
const cutShortMs = (ctx: CaseContext) => Math.min(15_000, 5_000 + 3 * ctx.timing.roundTripMs)

/** Queues are created, deleted and closed as documented; nothing outlives its queue. */
export const lifecycleCases: ConformanceCase[] = [
  {
    id: 'lifecycle.close-waits-then-closed',
    name: 'close: waits for in-flight calls, then every call is CLOSED',
    async run(ctx) {
      const name = (await ctx.queue()).name
      const queue = ctx.client.queue(name)
      // The send's answer is held back 300 ms: close() must wait for it.
      ctx.driver.inject({ method: 'sendBatch', queue: name, holdMs: 300 })
      let sent = false
      const sending = queue.send('in flight').then((result) => {
        sent = true
        return result
      })
      sending.catch(() => {}) // observed below; a failure must not go unhandled if the case ends first
      await queue.close()
      await new Promise((resolve) => setImmediate(resolve)) // the send's own callbacks, a few ticks behind
      assert.ok(sent, 'close() resolved while a send was still in flight; it must wait for in-flight calls')
      const { id } = await sending // close must let it finish, not cut it off
      await expectQueueError(() => queue.send('after close'), 'CLOSED', 'send after the queue closed')
      await expectQueueError(
        () => queue.receive({ waitSeconds: 0 }),
        'CLOSED',
        'receive after the queue closed',
      )
      const m = await receiveOne(ctx.client.queue(name), ctx.patience(10_000))
      assert.equal(m.id, id, 'the in-flight send should have been delivered')
      const client = await ctx.reopen()
      const open = client.queue(name)
      await client.close()
      for (const [what, call] of everyCall(client, open, m.receiptHandle)) {
        await expectQueueError(call, 'CLOSED', `${what} after the client closed`)
      }
    },
  },
  {
    id: 'lifecycle.close-cuts-long-poll',
    name: 'close: cuts a pending long poll short',
    async run(ctx) {
      const queue = ctx.client.queue((await ctx.queue()).name)
      const started = Date.now()
      const polling = queue.receive({ waitSeconds: 20 })
      await sleep(200)
      await queue.close()
      assert.deepEqual(
        await within(cutShortMs(ctx), polling, 'a long poll went on after close()'),
        [],
        'a poll cut short by close resolves empty',
      )
      assert.ok(Date.now() - started < 19_000, 'close waited out the whole long poll')
    },
  },
  {
    id: 'lifecycle.client-close-cuts-long-poll',
    name: 'client.close(): closes its queues, cutting their pending long polls short',
    async run(ctx) {
      const queue = ctx.client.queue((await ctx.queue()).name)
      const polling = queue.receive({ waitSeconds: 20 })
      await sleep(200)
      await within(cutShortMs(ctx), ctx.client.close(), 'client.close() waited out a pending long poll')
      assert.deepEqual(await polling, [], 'a poll cut short by client.close() resolves empty')
      await expectQueueError(
        () => queue.receive({ waitSeconds: 0 }),
        'CLOSED',
        "a queue's receive after its client closed",
      )
      await ctx.reopen() // so the case's queues are cleaned up
    },
  },
  {
    id: 'lifecycle.missing-queue',
    name: 'missing queue: QUEUE_NOT_FOUND on first use',
    async run(ctx) {
      const queue = ctx.client.queue(ctx.uniqueName())
      const error = await expectQueueError(
        () => queue.send('nowhere'),
        'QUEUE_NOT_FOUND',
        'send to a missing queue',
      )
      assert.equal(error.retryable, false, 'QUEUE_NOT_FOUND must not be retryable: trying again cannot help')
      const sends = ctx.driver.callsOf('sendBatch', queue.name).length
      assert.equal(
        sends,
        1,
        `a send to a missing queue reached the driver ${sends} times; it is not worth retrying`,
      )
      await expectQueueError(() => queue.receive({ waitSeconds: 0 }), 'QUEUE_NOT_FOUND', 'receive')
    },
  },
  {
    id: 'lifecycle.delete-idempotent',
    name: 'deleteQueue: removes the queue and is idempotent',
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('gone with the queue')
      await ctx.client.deleteQueue(queue.name)
      await ctx.client.deleteQueue(queue.name)
      await expectQueueError(
        () => queue.receive({ waitSeconds: 0 }),
        'QUEUE_NOT_FOUND',
        'receive after delete',
      )
    },
  },
  {
    id: 'lifecycle.create-keeps-messages',
    name: 'createQueue: on an existing queue it keeps the messages',
    async run(ctx) {
      const queue = await ctx.queue()
      const { id } = await queue.send('kept')
      await ctx.client.createQueue(queue.name)
      const m = await receiveOne(queue, ctx.patience(10_000))
      assert.equal(m.id, id, 'createQueue on an existing queue lost its message')
      await queue.ack(m)
    },
  },
  {
    id: 'lifecycle.recreated-is-new',
    name: 'deleteQueue then createQueue: the new queue is empty, and old handles never act on its messages',
    timeoutMs: (lease) => lease * 2 + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await queue.sendBatch([{ payload: 'old, leased' }, { payload: 'old, waiting' }])
      const old = await receiveOne(queue, ctx.patience(10_000))
      await ctx.client.deleteQueue(queue.name)
      await ctx.client.createQueue(queue.name)
      const leftovers = await firstArrival(queue, ctx.patience(2_000), 10)
      assert.equal(
        leftovers,
        undefined,
        `a queue deleted and created again still held [${leftovers?.messages.map((m) => m.payload).join(', ')}]`,
      )
      await queue.send('new')
      await queue.ack(old).catch(() => {}) // a handle of the old queue: it may fail, but must not act
      await queue.nack(old).catch(() => {})
      const m = await receiveOne(queue, ctx.patience(10_000))
      assert.equal(m.payload, 'new', 'the new message is gone: a handle from before deleteQueue acked it')
      await queue.ack(old).catch(() => {})
      await queue.nack(m)
      const back = await firstArrival(queue, ctx.patience(ctx.leaseMs))
      assert.ok(back, 'the new message is gone: a handle from before deleteQueue acked it')
      await queue.ack(back.messages[0]!)
    },
  },
  {
    id: 'lifecycle.delete-exactly-the-named',
    name: 'deleteQueue: deletes exactly the queue named, never one whose name starts with its name',
    async run(ctx) {
      const queue = await ctx.queue<string>()
      // The names a range delete over "<name>…" would also catch: a consumer's `<name>-dlq`, and
      // the queue numbered one digit longer.
      const others = [await ctx.queue<string>(`${queue.name}-dlq`), await ctx.queue<string>(`${queue.name}0`)]
      await queue.send('deleted with its queue')
      for (const other of others) await other.send(`kept in ${other.name}`)
      await ctx.client.deleteQueue(queue.name)
      for (const other of others) {
        const got = await drain(other, 1)
        assert.deepEqual(
          got.map((m) => m.payload),
          [`kept in ${other.name}`],
          `deleting ${queue.name} took ${other.name}'s message with it`,
        )
      }
    },
  },
  {
    id: 'lifecycle.list-queues',
    name: 'listQueues (optional): every queue that exists, once, sorted; a deleted one no longer',
    timeoutMs: () => PATIENCE + 60_000,
    async run(ctx) {
      const driver = ctx.driver.inner
      if (typeof driver.listQueues !== 'function') {
        ctx.note('the driver has no listQueues (optional): nothing to check')
        return
      }
      const base = ctx.uniqueName()
      // More than a page of 10, so a listing that pages must join its pages right.
      const names = Array.from({ length: 23 }, (_, i) => `${base}-${String(i).padStart(2, '0')}`)
      await Promise.all(names.map((name) => ctx.queue(name)))
      const gone = [names[9]!, names[10]!]
      for (const name of gone) await ctx.client.deleteQueue(name)
      const expected = names.filter((name) => !gone.includes(name))
      // A backend may list a queue for a while after its deletion, or not yet list one just created
      // (SQS: up to a minute): wait for the listing to settle, and fail on what it still says then.
      // Order and duplicates are wrong whenever they show.
      const end = Date.now() + ctx.patience(PATIENCE)
      for (;;) {
        const listed = await driver.listQueues()
        assert.deepEqual(listed, [...listed].sort(), 'listQueues must return the names sorted')
        assert.equal(new Set(listed).size, listed.length, 'listQueues named a queue twice')
        const ours = listed.filter((name) => name.startsWith(`${base}-`))
        const missing = expected.filter((name) => !ours.includes(name))
        const stale = ours.filter((name) => !expected.includes(name))
        if (missing.length === 0 && stale.length === 0) return
        assert.ok(
          Date.now() < end,
          `after ${ctx.patience(PATIENCE)} ms listQueues still leaves out [${missing.join(', ')}] and names deleted [${stale.join(', ')}]`,
        )
        await sleep(500)
      }
    },
  },
]
