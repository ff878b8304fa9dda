import assert from 'node:assert/strict'
import { type ConformanceCase, needs } from '../case.js'
import { receiveOne } from '../helpers.js'
import { earliestOf, firstArrival, hiddenThenBack } from '../timing.js'

/** A nack ends the lease now, or after its delay: no sooner, not much later. */
export const nackCases: ConformanceCase[] = [
  {
    id: 'nack.returns-early',
    name: 'nack: ends the lease early, the message comes back with attempt + 1',
    async run(ctx) {
      const queue = await ctx.queue()
      // Well inside the lease, or a nack that did nothing would pass when the lease ran out.
      const soon = Math.min(ctx.bound(1_000), ctx.leaseMs * 0.5)
      await earliestOf(3, async (n) => {
        await queue.send(`nacked ${n}`)
        const m = await receiveOne(queue, ctx.patience(10_000))
        const nackedAt = Date.now()
        await queue.nack(m)
        const back = await firstArrival(queue, ctx.patience(ctx.leaseMs * 3))
        assert.ok(back, `${m.id} never came back after its nack`)
        const [again] = back.messages
        assert.equal(
          again!.id,
          m.id,
          `another message (${again!.id}) came back instead of the nacked ${m.id}`,
        )
        assert.equal(again!.attempt, 2, `redelivered with attempt ${again!.attempt}; it must grow by one`)
        await queue.ack(again!)
        const after = back.at - nackedAt
        return after <= soon
          ? undefined
          : `${m.id} came back ${after} ms after its nack; a nack without delay releases at once (by ${soon} ms)`
      })
    },
  },
  {
    id: 'nack.delay',
    name: 'nack: with delaySeconds the message stays hidden for the delay, and comes back soon after',
    requires: [needs.nackDelay(2)],
    timeoutMs: (lease) => lease * 2 + 60_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await earliestOf(3, async (n) => {
        await queue.send(`nacked with delay ${n}`)
        const m = await receiveOne(queue, ctx.patience(10_000))
        const nacking = Date.now() // the backend's clock starts during the call
        await queue.nack(m, { delaySeconds: 2 })
        const nacked = Date.now()
        const back = await hiddenThenBack(
          queue,
          nacking + 1_800,
          `${m.id}, nacked with a 2 s delay, came back too soon`,
          ctx.patience(15_000),
        )
        assert.ok(back, `${m.id}, nacked with a 2 s delay, never came back`)
        assert.equal(back.messages[0]!.id, m.id)
        await queue.ack(back.messages[0]!)
        const after = back.hiddenAt - nacked
        return after <= ctx.bound(2_000)
          ? undefined
          : `${m.id}, nacked with a 2 s delay, was still hidden ${after} ms after the nack; it must be back by ${ctx.bound(2_000)} ms`
      })
    },
  },
]
