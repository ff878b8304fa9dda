import assert from 'node:assert/strict'
import { type ConformanceCase, needs } from '../case.js'
import { drain, expectNothingFor, receiveOne, receiveUntil, sleep } from '../helpers.js'
import type { Delivery } from '../instrumented-driver.js'
import { earliestOf, firstArrival, hiddenThenBack } from '../timing.js'

/** A lease hides a message for its length — no less, not much more — and renewLease restarts it. */
export const leaseCases: ConformanceCase[] = [
  {
    id: 'lease.hidden',
    name: 'lease: received messages — every one of a batch — are hidden from a second receiver',
    async run(ctx) {
      const queue = await ctx.queue<number>()
      const other = ctx.client.queue(queue.name)
      await queue.sendBatch([1, 2, 3].map((payload) => ({ payload })))
      const leased = await receiveUntil(queue, ctx.patience(10_000), (seen) => seen.length >= 3, 10)
      assert.equal(leased.length, 3, `3 messages sent, ${leased.length} could be leased`)
      await expectNothingFor(other, ctx.leaseMs / 2, 'a leased message must stay hidden during its lease')
      await queue.ackBatch(leased)
    },
  },
  {
    id: 'lease.hidden-under-concurrency',
    name: 'lease: concurrent receivers never get the same message within its lease',
    async run(ctx) {
      const queue = await ctx.queue<number>()
      const deliveries: string[] = []
      const end = Date.now() + ctx.leaseMs * 0.8 // every delivery below is within its first lease
      const receiver = async () => {
        while (Date.now() < end && deliveries.length < 20) {
          const wait = Math.min(1, Math.max(0, (end - Date.now()) / 1000))
          for (const m of await queue.receive({ maxMessages: 3, waitSeconds: wait })) deliveries.push(m.id)
        }
      }
      const receivers = Promise.all([receiver(), receiver(), receiver(), receiver()])
      for (let i = 0; i < 20 && Date.now() < end - 200; i++) await queue.send(i)
      await receivers
      // A second delivery is proven within the first one's lease only when its receive returned
      // before that lease could have ended (the lease began after the first receive was sent); a
      // receive that a loaded machine or backend answered later proves nothing either way.
      const first = new Map<string, Delivery>()
      const twice = new Set<string>()
      for (const d of ctx.driver.deliveriesOf(queue.name)) {
        const earlier = first.get(d.id)
        if (!earlier) first.set(d.id, d)
        else if (d.returnedAt < earlier.at + ctx.leaseMs) twice.add(d.id)
      }
      assert.deepEqual(
        [...twice],
        [],
        `4 receivers at once got ${[...twice].join(', ')} twice within one lease`,
      )
      assert.ok(deliveries.length > 0, 'no receiver got anything')
    },
  },
  {
    id: 'lease.comes-back',
    name: 'lease: an unacked message comes back after the lease, not much later, with attempt + 1',
    timeoutMs: (lease) => lease * 8 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await earliestOf(3, async (n) => {
        const { id } = await queue.send({ back: n }, { attributes: { sample: String(n) } })
        const leasing = Date.now() // the backend starts the lease after this
        const first = await receiveOne(queue, ctx.patience(10_000))
        const leased = Date.now() // … and before this
        assert.equal(first.attempt, 1, `the first delivery of ${id} has attempt ${first.attempt}`)
        const back = await firstArrival(queue, ctx.patience(ctx.leaseMs * 3 + 10_000))
        assert.ok(back, `${id} never came back after its ${ctx.leaseMs} ms lease ran out`)
        const [again] = back.messages
        assert.equal(again!.id, id, `another message (${again!.id}) arrived instead of ${id}`)
        assert.equal(again!.attempt, 2, `redelivered with attempt ${again!.attempt}; it must grow by one`)
        assert.deepEqual(again!.payload, { back: n }, `${id} came back with another payload`)
        assert.deepEqual(again!.attributes, { sample: String(n) }, `${id} came back with other attributes`)
        const early = back.at - leasing
        assert.ok(
          early >= ctx.leaseMs * 0.9,
          `${id} came back ${early} ms after it was leased, before its ${ctx.leaseMs} ms lease ended`,
        )
        await queue.ack(again!)
        const late = back.hiddenAt - leased
        return late <= ctx.bound(ctx.leaseMs)
          ? undefined
          : `${id} was still hidden ${late} ms after it was leased; a ${ctx.leaseMs} ms lease must end by ${ctx.bound(ctx.leaseMs)} ms`
      })
    },
  },
  {
    id: 'lease.renew-restarts',
    name: 'lease: renewLease restarts the lease from now — hidden past the first, back after the renewed one',
    requires: [needs.renewLease],
    timeoutMs: (lease) => lease * 8 + 30_000,
    async run(ctx) {
      const queue = await ctx.queue()
      await earliestOf(2, async (n) => {
        await queue.send(`renewed ${n}`)
        const m = await receiveOne(queue, ctx.patience(10_000))
        const leasedAt = Date.now()
        // The lease began after the receive that brought it was sent.
        const delivery = ctx.driver.deliveriesOf(queue.name).find((d) => d.receiptHandle === m.receiptHandle)
        // Renew at half the lease; earlier on a backend whose round trips would carry the renewal past
        // the lease it renews (never before a fifth of it, so the renewed lease still ends visibly later).
        const renewAfter = Math.max(ctx.leaseMs * 0.2, ctx.leaseMs * 0.5 - 2 * ctx.timing.roundTripMs)
        await sleep(renewAfter)
        await queue.renewLease(m)
        const renewedAt = Date.now()
        // A renewal answered after the first lease may have ended (a loaded machine or backend) may
        // have come too late to renew anything: that sample proves nothing, and is taken again.
        if (delivery && renewedAt >= delivery.at + ctx.leaseMs) {
          await drain(queue, 1, ctx.patience(ctx.leaseMs * 3 + 10_000))
          return {
            inconclusive: `the renewal of ${m.id} returned ${renewedAt - delivery.at} ms after its lease began, past the ${ctx.leaseMs} ms lease`,
          }
        }
        // The first lease ends by 1.0; the renewed one no sooner than 1.0 + renewAfter (at about 1.5
        // when renewed at half). Watch until 60% of the way between them.
        const back = await hiddenThenBack(
          queue,
          leasedAt + ctx.leaseMs + renewAfter * 0.6,
          `renewLease at half the lease did not keep ${m.id} hidden past the first lease`,
          ctx.patience(ctx.leaseMs * 3 + 10_000),
        )
        assert.ok(back, `${m.id} never came back after its renewed lease`)
        const [again] = back.messages
        assert.equal(again!.id, m.id, 'after the renewed lease, the message comes back')
        assert.equal(again!.attempt, 2)
        await queue.ack(again!)
        const after = back.hiddenAt - renewedAt
        return after <= ctx.bound(ctx.leaseMs)
          ? undefined
          : `${m.id} was still hidden ${after} ms after renewLease; a renewed ${ctx.leaseMs} ms lease must end by ${ctx.bound(ctx.leaseMs)} ms`
      })
    },
  },
]
