import assert from 'node:assert/strict'
import { isQueueError, QueueError } from '@anyqueue/queue-core'
import type { ConformanceCase } from '../case.js'
import { expectQueueError, receiveOne, sleep } from '../helpers.js'

const unavailable = () => new QueueError('UNAVAILABLE', 'injected by the conformance suite: backend away')
const denied = () => new QueueError('PERMISSION_DENIED', 'injected by the conformance suite: not allowed')

/**
 * The portable layer retries what the driver classified as retryable, a bounded number of times, and
 * nothing else. Faults are injected between the portable layer and the driver, on every backend.
 */
export const retryCases: ConformanceCase[] = [
  {
    id: 'retry.retryable-is-retried',
    name: 'retries: a call failing once with a retryable error is retried and succeeds',
    async run(ctx) {
      const queue = await ctx.queue()
      ctx.driver.inject({ method: 'sendBatch', queue: queue.name, error: unavailable })
      const { id } = await queue.send('after one UNAVAILABLE')
      assert.equal(ctx.driver.callsOf('sendBatch', queue.name).length, 2, 'one failed call, then one retry')
      const m = await receiveOne(queue, ctx.patience(10_000))
      assert.equal(m.id, id, 'the retried send was not delivered')
      ctx.driver.inject({ method: 'ackBatch', queue: queue.name, error: unavailable })
      await queue.ack(m)
      assert.equal(
        ctx.driver.callsOf('ackBatch', queue.name).length,
        2,
        'an ack failing once with UNAVAILABLE is retried',
      )
    },
  },
  {
    id: 'retry.non-retryable-fails-at-once',
    name: 'retries: a non-retryable error fails the call at once, untried again',
    async run(ctx) {
      const queue = await ctx.queue()
      ctx.driver.inject({ method: 'sendBatch', queue: queue.name, error: denied })
      const outcome = await queue.sendBatch([{ payload: 'denied' }]).then(
        ([result]) => (result!.ok ? 'sent' : result!.error),
        (error: unknown) => error,
      )
      assert.ok(
        isQueueError(outcome, 'PERMISSION_DENIED'),
        `a send failing with PERMISSION_DENIED came out as ${String((outcome as { code?: string }).code ?? outcome)}`,
      )
      ctx.driver.inject({ method: 'receiveBatch', queue: queue.name, error: denied })
      await expectQueueError(() => queue.receive({ waitSeconds: 0 }), 'PERMISSION_DENIED', 'receive')
      assert.equal(
        ctx.driver.callsOf('sendBatch', queue.name).length,
        1,
        'a PERMISSION_DENIED send was retried',
      )
      assert.equal(
        ctx.driver.callsOf('receiveBatch', queue.name).length,
        1,
        'a PERMISSION_DENIED receive was retried',
      )
    },
  },
  {
    id: 'retry.bounded',
    name: 'retries: a backend that stays away fails the call UNAVAILABLE after a bounded number of tries',
    async run(ctx) {
      const queue = await ctx.queue()
      ctx.driver.inject({
        method: 'receiveBatch',
        queue: queue.name,
        times: Number.POSITIVE_INFINITY,
        error: unavailable,
      })
      const started = Date.now()
      const error = await expectQueueError(
        () =>
          Promise.race([
            queue.receive({ waitSeconds: 0 }),
            sleep(15_000).then(() => {
              throw new Error('a receive against a backend that stays away was still retrying after 15 s')
            }),
          ]),
        'UNAVAILABLE',
        'receive while away',
      )
      assert.equal(error.retryable, true, 'UNAVAILABLE must stay retryable for the caller')
      const tries = ctx.driver.callsOf('receiveBatch', queue.name).length
      assert.ok(
        tries >= 2 && tries <= 10,
        `a retryable failure was tried ${tries} times; retries are bounded (default 4)`,
      )
      assert.ok(Date.now() - started < 30_000, 'retries took longer than 30 s: the backoff must be capped')
      ctx.driver.clear()
    },
  },
]
