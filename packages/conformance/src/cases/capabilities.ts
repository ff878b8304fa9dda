import assert from 'node:assert/strict'
import { FILTER_OPERATORS } from '@anyqueue/queue-core/driver'
import type { ConformanceCase } from '../case.js'
import { receiveOne } from '../helpers.js'

/**
 * The manifest is explicit and true to the driver. That it never changes is a trait the runner checks
 * after every case (`traits.ts`); this case checks its shape.
 */
export const capabilityCases: ConformanceCase[] = [
  {
    id: 'capabilities.explicit',
    name: 'capabilities: every field explicit, within its range, and the lease within the declared minimum',
    async run(ctx) {
      const caps = ctx.capabilities
      for (const field of ['persistent', 'fifo', 'renewLease', 'deadLetter'] as const) {
        assert.equal(
          typeof caps[field],
          'boolean',
          `capabilities.${field} must be a boolean, got ${String(caps[field])}`,
        )
      }
      for (const field of ['delay', 'nackDelay', 'maxBatch', 'minLeaseSeconds'] as const) {
        assert.ok(
          Number.isInteger(caps[field]) && caps[field] >= 0,
          `capabilities.${field} must be a whole number, got ${String(caps[field])}`,
        )
      }
      assert.ok(
        caps.staleHandles === 'ignored' || caps.staleHandles === 'may-act',
        `capabilities.staleHandles must be 'ignored' or 'may-act', got ${String(caps.staleHandles)}`,
      )
      assert.ok(
        caps.untypedBody === 'text' || caps.untypedBody === 'json-or-text',
        `capabilities.untypedBody must be 'text' or 'json-or-text', got ${String(caps.untypedBody)}`,
      )
      const operators: readonly string[] = FILTER_OPERATORS
      assert.ok(
        caps.topics === false ||
          (typeof caps.topics === 'object' &&
            caps.topics !== null &&
            Array.isArray(caps.topics.filters) &&
            caps.topics.filters.every((op) => operators.includes(op))),
        `capabilities.topics must be false or { filters: [${FILTER_OPERATORS.join(', ')} …] }, got ${JSON.stringify(caps.topics)}`,
      )
      assert.ok(
        caps.maxBatch >= 1 && caps.maxBatch <= 10,
        `capabilities.maxBatch is 1 to 10, got ${caps.maxBatch}`,
      )
      assert.ok(
        ctx.client.driver.leaseSeconds >= caps.minLeaseSeconds,
        `the driver's lease (${ctx.client.driver.leaseSeconds} s) is below its declared minimum (${caps.minLeaseSeconds} s)`,
      )
      const queue = await ctx.queue()
      await queue.send('use')
      await queue.ack(await receiveOne(queue, ctx.patience(10_000)))
    },
  },
]
