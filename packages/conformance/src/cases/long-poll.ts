import assert from 'node:assert/strict'
import { getEventListeners, setMaxListeners } from 'node:events'
import type { ConformanceCase } from '../case.js'
import { sleep } from '../helpers.js'
import { earliestOf } from '../timing.js'

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
        return elapsed <= ctx.bound(2_000)
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
        return after <= ctx.bound(1_000)
          ? undefined
          : `a message sent during a 10 s long poll was returned ${after} ms after its send resolved; the poll must end when it arrives`
      })
    },
  },
  {
    id: 'long-poll.signal-released',
    name: "long poll: receives leave nothing piling up on the caller's signal",
    async run(ctx) {
      // A consumer passes one signal to every receive it makes, for as long as it runs: a listener
      // left behind per receive is a leak that grows with every poll. A driver may keep a bounded
      // number on a signal (one per signal, say), and may tidy up a little after a receive
      // resolved; what it may not do is leave more with every receive.
      const queue = await ctx.queue()
      const signal = new AbortController().signal
      setMaxListeners(0, signal) // what is left is counted below, not warned about
      const max = Math.min(10, ctx.capabilities.maxBatch)
      const receive = (maxMessages: number) =>
        ctx.driver.receiveBatch(queue.name, { maxMessages, waitSeconds: 1, signal })
      const listeners = () => getEventListeners(signal, 'abort').length
      /** The count once it stops falling: sampled until two samples 200 ms apart agree (≤ 2 s). */
      const settled = async () => {
        let last = listeners()
        for (let waited = 0; waited < 2_000; waited += 200) {
          await sleep(200)
          const now = listeners()
          if (now === last) return now
          last = now
        }
        return last
      }
      await receive(max) // empty: the long poll runs out
      await receive(max)
      const early = await settled()
      await queue.sendBatch(Array.from({ length: 4 }, (_, i) => ({ payload: `listener ${i}` })))
      const handles: string[] = []
      let receives = 0
      const deadline = Date.now() + 20_000
      while (handles.length < 4 && Date.now() < deadline) {
        for (const m of await receive(1)) handles.push(m.receiptHandle)
        receives += 1
      }
      assert.equal(handles.length, 4, 'the 4 messages sent did not all arrive within 20 s')
      for (let i = 0; i < 4; i++, receives++) await receive(max)
      await ctx.driver.ackBatch(queue.name, handles)
      const late = await settled()
      assert.ok(
        late <= early,
        `abort listeners on the caller's signal grew from ${early} after 2 receives to ${late} after ${receives} more; each receive must take back what it added`,
      )
    },
  },
]
