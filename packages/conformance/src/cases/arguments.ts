import assert from 'node:assert/strict'
import type { ConformanceCase } from '../case.js'
import { expectNeverFor, expectQueueError, receiveOne } from '../helpers.js'

/** Bad input is refused before any I/O, with the documented code; the edges of every range work. */
export const argumentCases: ConformanceCase[] = [
  {
    id: 'arguments.queue-names',
    name: 'queue names: invalid ones are INVALID_QUEUE_NAME; 1 and 64 characters work',
    async run(ctx) {
      for (const name of ['', 'a'.repeat(65), 'has space', 'dot.ted', 'slash/ed', 'ünï', 'emoji🎉', 'a:b']) {
        await expectQueueError(() => ctx.client.queue(name), 'INVALID_QUEUE_NAME', JSON.stringify(name))
        await expectQueueError(() => ctx.client.createQueue(name), 'INVALID_QUEUE_NAME', JSON.stringify(name))
      }
      for (const length of [1, 64]) {
        const queue = await ctx.queue(ctx.uniqueName(length))
        await queue.send(`name of ${length}`)
        const m = await receiveOne(queue, ctx.patience(10_000))
        assert.equal(
          m.payload,
          `name of ${length}`,
          `a queue named with ${length} characters lost its message`,
        )
        await queue.ack(m)
      }
    },
  },
  {
    id: 'arguments.receive-bounds',
    name: 'receive: maxMessages outside 1..10 and bad waitSeconds are INVALID_ARGUMENT',
    async run(ctx) {
      const queue = await ctx.queue()
      for (const maxMessages of [0, 11, 1.5, -1, Number.NaN]) {
        await expectQueueError(
          () => queue.receive({ maxMessages }),
          'INVALID_ARGUMENT',
          `maxMessages ${maxMessages}`,
        )
      }
      for (const waitSeconds of [-1, 21, Number.NaN]) {
        await expectQueueError(
          () => queue.receive({ waitSeconds }),
          'INVALID_ARGUMENT',
          `waitSeconds ${waitSeconds}`,
        )
      }
    },
  },
  {
    id: 'arguments.delay-bounds',
    name: 'send and nack: a delay beyond the declared maximum is rejected before any I/O',
    async run(ctx) {
      const queue = await ctx.queue()
      const max = ctx.capabilities.delay
      const code = max === 0 ? 'NOT_SUPPORTED' : 'INVALID_ARGUMENT'
      await expectQueueError(
        () => queue.send('x', { delaySeconds: max + 1 }),
        code,
        `delaySeconds ${max + 1}`,
      )
      await expectQueueError(
        () => queue.send('x', { delaySeconds: -1 }),
        'INVALID_ARGUMENT',
        'delaySeconds -1',
      )
      await expectQueueError(
        () => queue.send('x', { delaySeconds: 0.5 }),
        'INVALID_ARGUMENT',
        'delaySeconds 0.5',
      )
      if (max > 0) await queue.send('at the limit', { delaySeconds: max }) // the maximum itself is accepted
      await queue.send('to nack')
      const m = await receiveOne(queue, ctx.patience(10_000))
      const nackMax = Math.min(ctx.capabilities.nackDelay, 43_200)
      await expectQueueError(
        () => queue.nack(m, { delaySeconds: nackMax + 1 }),
        nackMax === 0 ? 'NOT_SUPPORTED' : 'INVALID_ARGUMENT',
        `nack delaySeconds ${nackMax + 1}`,
      )
      // The maximum itself is accepted.
      if (nackMax > 0) await queue.nack(m, { delaySeconds: nackMax })
      else await queue.ack(m)
    },
  },
  {
    id: 'arguments.garbage-handle',
    name: 'ack, nack, renewLease: a string that is no receipt handle is INVALID_RECEIPT_HANDLE',
    async run(ctx) {
      const queue = await ctx.queue()
      for (const handle of ['', 'garbage', ' ', 'x'.repeat(3)]) {
        await expectQueueError(
          () => queue.ack(handle),
          'INVALID_RECEIPT_HANDLE',
          `ack(${JSON.stringify(handle)})`,
        )
        await expectQueueError(() => queue.nack(handle), 'INVALID_RECEIPT_HANDLE', 'nack')
      }
      await expectQueueError(() => queue.ack(42 as unknown as string), 'INVALID_RECEIPT_HANDLE', 'ack(42)')
      const calls = ctx.driver.calls.filter((c) => c.handles.length > 0)
      assert.deepEqual(calls, [], 'a garbage handle reached the driver: handles are checked before any I/O')
    },
  },
  {
    id: 'arguments.batch-bounds',
    name: 'sendBatch: 0 or 11 entries, or one invalid entry, reject the whole call before any I/O',
    async run(ctx) {
      const queue = await ctx.queue<any>()
      await expectQueueError(() => queue.sendBatch([]), 'INVALID_ARGUMENT', 'an empty batch')
      const eleven = Array.from({ length: 11 }, (_, i) => ({ payload: i }))
      await expectQueueError(() => queue.sendBatch(eleven), 'INVALID_ARGUMENT', 'a batch of 11')
      const error = await expectQueueError(
        () => queue.sendBatch([{ payload: 'ok' }, { payload: undefined }]),
        'INVALID_PAYLOAD',
        'a batch with an undefined payload',
      )
      assert.equal(error.field, 'messages[1].payload', 'the error should name the entry')
      await expectNeverFor(queue, 1_000, 'a rejected batch must send nothing')
    },
  },
  {
    id: 'arguments.unsupported',
    name: 'unsupported features fail with NOT_SUPPORTED',
    requires: [
      {
        label: 'an unsupported feature',
        unmet: (caps) =>
          !caps.renewLease || caps.nackDelay === 0 || caps.delay === 0
            ? undefined
            : 'the driver supports renewLease, nack delays and delayed send',
      },
    ],
    async run(ctx) {
      const queue = await ctx.queue()
      const caps = ctx.capabilities
      if (caps.delay === 0)
        await expectQueueError(() => queue.send('x', { delaySeconds: 1 }), 'NOT_SUPPORTED')
      await queue.send('y')
      const m = await receiveOne(queue, ctx.patience(10_000))
      if (!caps.renewLease) await expectQueueError(() => queue.renewLease(m), 'NOT_SUPPORTED', 'renewLease')
      if (caps.nackDelay === 0)
        await expectQueueError(() => queue.nack(m, { delaySeconds: 5 }), 'NOT_SUPPORTED', 'nack')
      await queue.ack(m)
    },
  },
]
