/**
 * A trigger section that passes a broken runner proves nothing. Each runner here is the reference
 * polling runner with one promise broken; the trigger case that states that promise must fail it,
 * and the runner with nothing broken must pass every case.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  pollingTriggerTarget,
  runTriggerCases,
  type Settle,
  settleAsConsume,
  type TriggerCaseResult,
} from '@anyqueue/conformance'
import { QueueClient, type TriggerOptions } from '@anyqueue/queue-core'
import { afterAll, describe, expect, test } from 'vitest'
import { createLocalDriver } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'anyqueue-broken-triggers-'))
const clients: QueueClient[] = []
afterAll(async () => {
  for (const client of clients) await client.close()
  rmSync(root, { recursive: true, force: true })
})

function client(name: string): QueueClient {
  const opened = new QueueClient(
    createLocalDriver({ location: join(root, name), createIfMissing: true, sync: false }),
  )
  clients.push(opened)
  return opened
}

interface BrokenRunner {
  name: string
  mustFail: string
  settle?: Settle
  transform?: (options: TriggerOptions<any>) => TriggerOptions<any>
}

const brokenRunners: BrokenRunner[] = [
  {
    name: 'retries the whole batch when one message fails',
    mustFail: 'trigger.failure-comes-back-alone',
    settle: async (queue, messages, outcomes, pipeline) => {
      if (outcomes.some((o) => o.kind === 'fail')) {
        await Promise.all(messages.map((m) => queue.nack(m)))
      } else await settleAsConsume(queue, messages, outcomes, pipeline)
    },
  },
  {
    name: 'dead-letters without the reason',
    mustFail: 'trigger.poison-dead-lettered',
    settle: (queue, messages, outcomes, pipeline) =>
      settleAsConsume(
        queue,
        messages,
        outcomes.map((o) => (o.kind === 'dead-letter' ? { ...o, reason: 'dead' } : o)),
        pipeline,
      ),
  },
  {
    name: 'retries an invalid payload until maxAttempts instead of dead-lettering it at once',
    mustFail: 'trigger.invalid-dead-lettered-at-once',
    settle: async (queue, messages, outcomes, pipeline) => {
      const retried = outcomes.map((o, i) =>
        o.kind === 'dead-letter' && messages[i]!.attempt < 3
          ? { kind: 'fail' as const, error: new Error(o.reason), delaySeconds: 0, timedOut: false }
          : o,
      )
      await settleAsConsume(queue, messages, retried, pipeline)
    },
  },
  {
    name: 'gives the handler no deadline',
    mustFail: 'trigger.slow-aborted-and-retried',
    transform: ({ handlerTimeoutSeconds: _, ...options }) => options,
  },
]

const failed = (results: TriggerCaseResult[]) => results.filter((r) => r.status === 'failed')

describe.concurrent('the trigger section catches broken runners', () => {
  test('control: the reference polling runner passes every trigger case', { timeout: 120_000 }, async () => {
    const results = await runTriggerCases(pollingTriggerTarget(client('control')), { deadlineMs: 30_000 })
    expect(failed(results)).toEqual([])
    expect(results).toHaveLength(4)
  })

  for (const runner of brokenRunners) {
    test(`${runner.name}: ${runner.mustFail} fails`, { timeout: 120_000 }, async () => {
      const target = pollingTriggerTarget(client(runner.mustFail), {
        settle: runner.settle,
        transform: runner.transform,
      })
      const results = await runTriggerCases(target, { deadlineMs: 8_000 })
      expect(failed(results).map((r) => r.id)).toContain(runner.mustFail)
    })
  }
})
