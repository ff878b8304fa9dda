import assert from 'node:assert/strict'
import { type ConformanceCase, needs } from '../case.js'
import { drain, receiveUntil } from '../helpers.js'

/** A batch is ten sends in one call: each entry keeps its own payload, attributes, delay and result. */
export const batchCases: ConformanceCase[] = [
  {
    id: 'batch.results-match-entries',
    name: 'sendBatch: ten messages, one result each, result i is the id message i arrives with',
    async run(ctx) {
      const queue = await ctx.queue<{ i: number }>()
      const results = await queue.sendBatch(Array.from({ length: 10 }, (_, i) => ({ payload: { i } })))
      assert.equal(results.length, 10, `10 entries sent, ${results.length} results`)
      const ids = results.map((r, i) => {
        assert.ok(r.ok, `entry ${i} failed: ${r.ok ? '' : r.error.message}`)
        return r.id
      })
      assert.equal(new Set(ids).size, 10, 'ids must be distinct')
      const got = await drain(queue, 10, ctx.patience(20_000))
      assert.equal(got.length, 10, `10 sent, ${got.length} arrived`)
      for (const m of got) {
        assert.equal(
          m.id,
          ids[m.payload.i],
          `message ${m.payload.i} arrived with id ${m.id}, but sendBatch's result ${m.payload.i} was ${ids[m.payload.i]}`,
        )
      }
    },
  },
  {
    id: 'batch.per-entry-attributes',
    name: 'sendBatch: each entry keeps its own attributes',
    async run(ctx) {
      const queue = await ctx.queue<number>()
      await queue.sendBatch(
        Array.from({ length: 10 }, (_, i) => ({
          payload: i,
          attributes: i % 3 === 0 ? {} : { entry: `e${i}`, ...(i % 2 ? { odd: 'yes' } : {}) },
        })),
      )
      const got = await drain(queue, 10, ctx.patience(20_000))
      assert.equal(got.length, 10)
      for (const m of got) {
        const i = m.payload
        const expected = i % 3 === 0 ? {} : { entry: `e${i}`, ...(i % 2 ? { odd: 'yes' } : {}) }
        assert.deepEqual(
          m.attributes,
          expected,
          `entry ${i} arrived with the attributes ${JSON.stringify(m.attributes)}`,
        )
      }
    },
  },
  {
    id: 'batch.per-entry-delay',
    name: 'sendBatch: each entry keeps its own delay',
    requires: [needs.delay(5)],
    timeoutMs: () => 60_000,
    async run(ctx) {
      const queue = await ctx.queue<string>()
      const sentAt = Date.now()
      await queue.sendBatch([
        { payload: 'now' },
        { payload: 'in 5 s', delaySeconds: 5 },
        { payload: 'also now', delaySeconds: 0 },
        { payload: 'in 5 s too', delaySeconds: 5 },
      ])
      const early = new Map<string, string>()
      await receiveUntil(queue, sentAt + 2_500 - Date.now(), (seen) => {
        for (const m of seen.splice(0)) {
          early.set(m.id, m.payload)
          void queue.ack(m).catch(() => {})
        }
        return false
      })
      const firstPayloads = [...early.values()].sort()
      assert.deepEqual(
        firstPayloads,
        ['also now', 'now'],
        `within 2.5 s of the send, [${firstPayloads.join(', ')}] arrived; entries without a delay must arrive, delayed ones must wait 5 s`,
      )
      const later = await drain(queue, 2, ctx.patience(20_000))
      assert.deepEqual(
        later.map((m) => m.payload).sort(),
        ['in 5 s', 'in 5 s too'],
        'the delayed entries never arrived',
      )
    },
  },
]
