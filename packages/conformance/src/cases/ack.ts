import assert from 'node:assert/strict'
import type { Message, Queue } from '@anyqueue/queue-core'
import { type ConformanceCase, needs } from '../case.js'
import type { CaseContext } from '../context.js'
import { expectNeverFor, expectNothingFor, receiveOne, receiveUntil, sleep } from '../helpers.js'
import { earliestOf, firstArrival, hiddenThenBack } from '../timing.js'

/** Receives until every one of `count` messages is leased to us (none acked). */
async function leaseAll<T extends string>(
  queue: Queue<T>,
  count: number,
  patienceMs: number,
): Promise<Map<T, Message<T>>> {
  const byPayload = new Map<T, Message<T>>()
  await receiveUntil(queue, patienceMs, (seen) => {
    for (const m of seen.splice(0)) byPayload.set(m.payload, m)
    return byPayload.size >= count
  })
  assert.equal(byPayload.size, count, `only ${byPayload.size} of ${count} messages could be leased`)
  return byPayload
}

/**
 * A message, delivered twice: `stale` is the first delivery's handle (its lease expired), `current`
 * the redelivery, received at `at`.
 */
async function redelivered(ctx: CaseContext, queue: Queue<string>, payload: string) {
  await queue.send(payload)
  const stale = await receiveOne(queue, ctx.patience(10_000))
  const back = await firstArrival(queue, ctx.patience(ctx.leaseMs * 3 + 10_000))
  assert.ok(back, `${stale.id} never came back after its lease`)
  const current = back.messages[0]!
  assert.equal(current.id, stale.id)
  assert.notEqual(current.receiptHandle, stale.receiptHandle, 'a redelivery must carry a new receipt handle')
  return { stale, current, at: back.at }
}

/** An ack deletes exactly the message its handle names, for good, once; stale handles are harmless. */
export const ackCases: ConformanceCase[] = [
  {
    id: 'ack.for-good',
    name: 'ack: removes the message for good',
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.send('acked')
      const m = await receiveOne(queue, ctx.patience(10_000))
      await queue.ack(m)
      await expectNeverFor(
        queue,
        ctx.leaseMs * 1.5 + 1_000,
        `${m.id} came back after it was acked; an ack must delete for good`,
      )
    },
  },
  {
    id: 'ack.exactly-the-named',
    name: 'ack: deletes exactly the message named, never another in flight',
    timeoutMs: (lease) => lease * 4 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await queue.sendBatch(['first', 'middle', 'last'].map((payload) => ({ payload })))
      const leased = await leaseAll(queue, 3, ctx.patience(20_000))
      await queue.ack(leased.get('middle')!)
      const back = await receiveUntil(
        queue,
        ctx.patience(ctx.leaseMs * 3 + 10_000),
        (seen) => seen.length >= 2,
      )
      await queue.ackBatch(back)
      const payloads = back.map((m) => m.payload).sort()
      assert.deepEqual(
        payloads,
        ['first', 'last'],
        `acking "middle" with two other messages in flight, then waiting out the lease, brought back [${payloads.join(', ')}]; only the message named may be deleted`,
      )
    },
  },
  {
    id: 'ack.batch-complete',
    name: 'ackBatch: every handle of a full batch is deleted, the last one too',
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const payloads = Array.from({ length: 10 }, (_, i) => `m${i}`)
      await queue.sendBatch(payloads.map((payload) => ({ payload })))
      const leased = await leaseAll(queue, 10, ctx.patience(20_000))
      await queue.ackBatch(payloads.map((p) => leased.get(p)!))
      await expectNeverFor(queue, ctx.leaseMs * 1.5 + 1_000, 'a message acked in a batch of 10 came back')
    },
  },
  {
    id: 'ack.batch-with-a-gone-handle',
    name: 'ackBatch: a handle already acked does not stop the others from being acked',
    timeoutMs: (lease) => lease * 3 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await queue.sendBatch(['gone', 'live 1', 'live 2'].map((payload) => ({ payload })))
      const leased = await leaseAll(queue, 3, ctx.patience(20_000))
      await queue.ack(leased.get('gone')!)
      await queue.ackBatch([leased.get('gone')!, leased.get('live 1')!, leased.get('live 2')!])
      await expectNeverFor(
        queue,
        ctx.leaseMs * 1.5 + 1_000,
        'a message acked in a batch behind an already-acked handle came back',
      )
    },
  },
  {
    id: 'ack.wider-than-driver-batch',
    name: 'ackBatch: more handles than the driver takes at once are all deleted, in driver-sized calls',
    timeoutMs: (lease) => lease * 3 + 60_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const payloads = Array.from({ length: 25 }, (_, i) => `m${i}`)
      for (let i = 0; i < payloads.length; i += 10) {
        await queue.sendBatch(payloads.slice(i, i + 10).map((payload) => ({ payload })))
      }
      const leased = await leaseAll(queue, 25, ctx.patience(20_000))
      await queue.ackBatch([...leased.values()])
      const calls = ctx.driver.callsOf('ackBatch', queue.name)
      const widest = Math.max(...calls.map((c) => c.handles.length))
      assert.ok(
        widest <= ctx.capabilities.maxBatch,
        `the driver got ${widest} handles in one ackBatch; it declares maxBatch ${ctx.capabilities.maxBatch}`,
      )
      const acked = new Set(calls.flatMap((c) => c.handles))
      assert.equal(
        acked.size,
        25,
        `ackBatch of 25 handles passed ${acked.size} distinct handles to the driver`,
      )
      await expectNeverFor(queue, ctx.leaseMs * 1.5 + 1_000, 'a message acked in a batch of 25 came back')
    },
  },
  {
    id: 'ack.twice',
    name: 'ack: twice is a safe no-op',
    async run(ctx) {
      const queue = await ctx.queue()
      await queue.sendBatch([{ payload: 'twice' }, { payload: 'bystander' }])
      const [m, bystander] = await receiveUntil(queue, ctx.patience(10_000), (seen) => seen.length >= 2)
      assert.ok(m && bystander, 'two messages should be receivable')
      await queue.ack(m)
      await queue.ack(m)
      await queue.ackBatch([m, m])
      await queue.nack(bystander)
      const back = await firstArrival(queue, ctx.patience(ctx.leaseMs))
      assert.ok(back, `acking ${m.id} twice removed ${bystander.id} too`)
      assert.equal(back.messages[0]!.id, bystander.id, `${m.id} came back after it was acked (twice)`)
      await queue.ack(back.messages[0]!)
    },
  },
  {
    id: 'ack.stale-handle-safe',
    name: 'stale handles: ack, nack and renewLease with an expired handle resolve and never touch another message',
    timeoutMs: (lease) => lease * 6 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const { stale, current } = await redelivered(ctx, queue, 'stale')
      // Done with at once, inside its lease: on a busy machine the calls below can outlast it.
      await queue.ack(current)
      await queue.send('bystander')
      const bystander = await receiveOne(queue, ctx.patience(10_000))
      const bystanderLeased = Date.now()
      await queue.ack(stale)
      await queue.nack(stale)
      if (ctx.capabilities.renewLease) await queue.renewLease(stale)
      // The bystander must neither be released (a stale nack) nor deleted (a stale ack).
      const back = await hiddenThenBack(
        queue,
        bystanderLeased + ctx.leaseMs * 0.8,
        `a stale nack or ack of ${stale.id} released another message in flight`,
        ctx.patience(ctx.leaseMs * 3 + 10_000),
      )
      assert.ok(
        back,
        `${bystander.id} never came back after its lease: a stale ack of ${stale.id} deleted it`,
      )
      const ids = back.messages.map((m) => m.id)
      assert.deepEqual(
        ids,
        [bystander.id],
        `after the stale calls, [${ids.join(', ')}] came back instead of the bystander`,
      )
      await queue.ackBatch(back.messages)
    },
  },
  {
    id: 'ack.stale-handle-ignored',
    name: 'stale handles: where declared ignored, a stale ack or nack leaves the redelivered message to its holder',
    requires: [needs.staleHandlesIgnored],
    timeoutMs: (lease) => lease * 6 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const { stale, current, at } = await redelivered(ctx, queue, 'stale')
      await queue.ack(stale)
      await queue.nack(stale)
      const early = await expectNothingFor(
        queue,
        at + ctx.leaseMs * 0.8 - Date.now(),
        `a stale nack of ${stale.id} ended the current holder's lease`,
      )
      assert.deepEqual(early, [], `a stale nack of ${stale.id} ended the current holder's lease`)
      await queue.nack(current) // the holder lets go: the message must still be there
      const back = await firstArrival(queue, ctx.patience(ctx.leaseMs))
      assert.ok(back, `a stale ack of ${stale.id} deleted the message its current holder was working on`)
      assert.equal(back.messages[0]!.id, stale.id)
      assert.equal(back.messages[0]!.attempt, 3, 'two leases, one nack: the third delivery')
      await queue.ack(back.messages[0]!)
    },
  },
  {
    id: 'ack.stale-renew-ignored',
    name: "stale handles: where declared ignored, a stale renewLease does not extend the current holder's lease",
    requires: [needs.staleHandlesIgnored, needs.renewLease],
    timeoutMs: (lease) => lease * 12 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      await earliestOf(2, async (n) => {
        const { stale, at } = await redelivered(ctx, queue, `stale renew ${n}`)
        await sleep(at + ctx.leaseMs * 0.8 - Date.now())
        await queue.renewLease(stale) // stale: must not push the current lease end out to 1.8 leases
        const back = await firstArrival(queue, ctx.patience(ctx.leaseMs * 3 + 10_000))
        assert.ok(back, `${stale.id} never came back after its second lease`)
        await queue.ack(back.messages[0]!)
        const after = back.hiddenAt - at
        return after <= ctx.bound(ctx.leaseMs)
          ? undefined
          : `${stale.id} was still hidden ${after} ms into its second lease after a stale renewLease; the ${ctx.leaseMs} ms lease must end by ${ctx.bound(ctx.leaseMs)} ms`
      })
    },
  },
]
