/**
 * A suite that passes a broken driver proves nothing. Each driver here breaks one promise of the
 * contract on top of the real local driver; the whole suite must then fail the case that states it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runConformance, sendThroughDriver } from '@anyqueue/conformance'
import type { QueueDriver } from '@anyqueue/queue-core/driver'
import { afterAll, describe, expect, test } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-broken-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** The local driver with some methods replaced; `real` is the driver underneath. */
function broken(name: string, patch: (real: QueueDriver) => Partial<QueueDriver>) {
  return {
    name,
    loadMessages: 300,
    sendForeign: sendThroughDriver,
    open(store: string): QueueDriver {
      const real = createLocalDriver({ location: join(root, name, store), leaseSeconds: 2 })
      const overrides = patch(real)
      return new Proxy(real, {
        get(target, key) {
          if (key in overrides) return overrides[key as keyof QueueDriver]
          const value = Reflect.get(target, key, target)
          return typeof value === 'function' ? value.bind(target) : value
        },
      })
    },
  }
}

const brokenDrivers = [
  {
    driver: broken('ack-does-nothing', () => ({ ackBatch: async () => {} })),
    mustFail: 'ack.for-good',
  },
  {
    driver: broken('ignores-the-lease', (real) => ({
      async receiveBatch(queue, request) {
        const got = await real.receiveBatch(queue, request)
        for (const m of got) await real.nack(queue, m.receiptHandle, 0) // visible again at once
        return got
      },
    })),
    mustFail: 'lease.hidden',
  },
  {
    driver: broken('drops-every-100th', (real) => {
      let sent = 0
      return {
        async sendBatch(queue, messages) {
          const kept = messages.filter(() => ++sent % 100 !== 0)
          const results = kept.length > 0 ? await real.sendBatch(queue, kept) : []
          // Claims success for the dropped ones too: the worst kind of loss.
          return messages.map((_, i) => results[i] ?? { id: `dropped-${i}` })
        },
      }
    }),
    mustFail: 'delivery.at-least-once-load',
  },
  {
    driver: broken('attempt-never-grows', (real) => ({
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) => ({ ...m, attempt: 1 }))
      },
    })),
    mustFail: 'lease.comes-back',
  },
  {
    driver: broken('renew-does-nothing', () => ({ renewLease: async () => {} })),
    mustFail: 'lease.renew-restarts',
  },
  {
    driver: broken('loses-the-content-type', (real) => ({
      async receiveBatch(queue, request) {
        return (await real.receiveBatch(queue, request)).map((m) => ({ ...m, contentType: undefined }))
      },
    })),
    mustFail: 'payload.json-round-trip',
  },
  {
    driver: broken('truncates-large-bodies', (real) => ({
      sendBatch: (queue, messages) =>
        real.sendBatch(
          queue,
          messages.map((m) => ({ ...m, body: m.body.slice(0, 60_000) })),
        ),
    })),
    mustFail: 'payload.size-limit-accepted',
  },
  {
    driver: broken('swallows-foreign-reserved-names', (real) => ({
      async receiveBatch(queue, request) {
        // Takes every `content-` attribute for its own, as drivers once did with a foreign one.
        return (await real.receiveBatch(queue, request)).map((m) => ({
          ...m,
          attributes: Object.fromEntries(
            Object.entries(m.attributes).filter(([name]) => !name.toLowerCase().startsWith('content-')),
          ),
        }))
      },
    })),
    mustFail: 'foreign.attributes',
  },
  {
    driver: broken('accepts-any-handle', () => ({
      isReceiptHandle: () => true, // accepts garbage instead of rejecting it before any I/O
    })),
    mustFail: 'arguments.garbage-handle',
  },
]

describe.concurrent('the suite catches broken drivers', () => {
  // The same wrapper with nothing broken must pass, or the failures below prove nothing.
  test('control: the wrapper alone passes every case', { timeout: 120_000 }, async () => {
    const results = await runConformance(
      broken('control', () => ({})),
      { concurrency: 12 },
    )
    expect(results.filter((r) => r.status === 'failed').map((r) => `${r.name}: ${r.reason}`)).toEqual([])
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(25)
  })

  for (const { driver, mustFail } of brokenDrivers) {
    test(driver.name, { timeout: 120_000 }, async () => {
      const results = await runConformance(driver, { concurrency: 12 })
      const failed = results.filter((r) => r.status === 'failed').map((r) => r.id)
      expect(failed).toContain(mustFail)
      // A broken promise fails the cases that state it, not the whole suite.
      expect(failed.length).toBeLessThan(results.length / 2)
    })
  }
})
