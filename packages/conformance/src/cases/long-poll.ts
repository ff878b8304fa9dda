import assert from 'node:assert/strict'
import type { ConformanceCase } from '../case.js'
import { sleep } from '../helpers.js'
import { bound, earliestOf } from '../timing.js'

/** A long poll waits for about `waitSeconds`, no less and not much more, and ends when a message comes. */
export const longPollCases: ConformanceCase[] = [
  {
    id: 'long-poll.empty-waits',
    name: 'long poll: an empty queue answers [] after about waitSeconds',
    async run(ctx) {
      const queue = await ctx.queue()
      await earliestOf(3, async () => {
        const started = Date.now()
        const got = await queue.receive({ maxMessages: 10, waitSeconds: 2 })
        const elapsed = Date.now() - started
        assert.deepEqual(got, [], 'an empty queue answered with messages')
        assert.ok(
          elapsed >= 1_500,
          `a 2 s long poll on an empty queue returned after ${elapsed} ms; it must wait`,
        )
        return elapsed <= bound(2_000)
          ? undefined
          : `a 2 s long poll on an empty queue returned after ${elapsed} ms; it must not wait much longer`
      })
    },
  },
  {
    id: 'long-poll.wakes-on-send',
    name: 'long poll: a message sent during the wait is returned promptly',
    async run(ctx) {
      const queue = await ctx.queue()
      await earliestOf(3, async (n) => {
        const receiving = queue.receive({ maxMessages: 10, waitSeconds: 10 }) // one message, not a full batch
        await sleep(500)
        await queue.send(`during wait ${n}`)
        const sentAt = Date.now()
        const got = await receiving
        const after = Date.now() - sentAt
        assert.equal(got.length, 1, 'the long poll ended without the message sent during the wait')
        assert.equal(got[0]!.payload, `during wait ${n}`)
        await queue.ack(got[0]!)
        return after <= bound(1_000)
          ? undefined
          : `a message sent during a 10 s long poll was returned ${after} ms after its send resolved; the poll must end when it arrives`
      })
    },
  },
]
