import { describe, expect, test } from 'vitest'
import { selectCases } from '../src/cases/index.js'
import { sendThroughDriver } from '../src/foreign-producer.js'
import { runConformance } from '../src/run.js'
import { SkeletonDriver } from './fixtures/skeleton-driver.js'
import { slowDriver } from './fixtures/slow-driver.js'

/**
 * A correct driver behind a slow backend is still a correct driver: the skeleton, with 300–800 ms
 * added to every call against its 2 s lease, passes the cases that used to fail on a slow SQS
 * emulator (issue #20) — leases are lost, messages come back, and the suite knows that at-least-once
 * allows it.
 */
const slowCases = [
  'consumer.success-acks',
  'consumer.max-attempts-dead-letter',
  'foreign.json-no-content-type',
  'foreign.consume-dead-letters',
  'consumer.count-and-redrive',
  'consumer.many-finish-together',
  'consumer.shutdown-timeout',
  'lease.renew-restarts',
  'lease.hidden-under-concurrency',
  'lifecycle.client-close-cuts-long-poll',
]

describe('a correct driver on a slow backend', () => {
  test('passes the cases that assumed a fast one', { timeout: 900_000 }, async () => {
    const lines: string[] = []
    const results = await runConformance(
      {
        name: 'slow skeleton',
        open: () => slowDriver(new SkeletonDriver({ leaseSeconds: 2 }), () => 300 + Math.random() * 500),
        sendForeign: sendThroughDriver,
      },
      {
        cases: selectCases(slowCases),
        concurrency: slowCases.length,
        onTiming: (_, line) => lines.push(line),
      },
    )
    expect(results.map((r) => r.id).sort()).toEqual([...slowCases].sort())
    expect(results.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`)).toEqual([])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^slow skeleton: round trip \d+–\d+ ms .*deadlines scaled ×/)
  })
})
