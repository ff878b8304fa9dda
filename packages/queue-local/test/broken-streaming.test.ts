/**
 * The consumer's streaming path (issue 26), proven on the local driver given a stream built on its
 * own `receiveBatch`: with nothing broken it passes every consumer case, so the consumer keeps its
 * promises over a stream; each broken stream of `broken-drivers/streaming.ts` fails the case of the
 * promise it breaks (ack lost on reconnect, lease extension dropped, attempt not counted).
 */
import { rmSync } from 'node:fs'
import { type CaseResult, consumerCases, runConformance, selectCases } from '@anyqueue/conformance'
import { afterAll, describe, expect, test } from 'vitest'
import { streamingDrivers, streamingOver } from './broken-drivers/streaming.js'
import { broken, root } from './broken-drivers/wrap.js'

afterAll(() => rmSync(root, { recursive: true, force: true }))

const failed = (results: CaseResult[]) =>
  results.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.reason}`)

describe.concurrent('the consumer over a streaming path', () => {
  test('control: every consumer case passes over the stream', { timeout: 300_000 }, async () => {
    let streamed = 0
    const target = broken('stream-control', (real) =>
      streamingOver(real, {
        delivered: (messages) => {
          streamed += messages.length
        },
      }),
    )
    const results = await runConformance(target, { cases: consumerCases, concurrency: 8 })
    expect(failed(results)).toEqual([])
    expect(streamed, 'messages the consumer took from the stream').toBeGreaterThan(100)
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(15)
  })

  for (const entry of streamingDrivers) {
    test(`${entry.name} is caught`, { timeout: 300_000 }, async () => {
      const mustFail = typeof entry.mustFail === 'string' ? [entry.mustFail] : [...entry.mustFail]
      const results = await runConformance(entry.driver, { cases: selectCases(mustFail) })
      const killed = results.filter((r) => r.status === 'failed').map((r) => r.id)
      expect(
        mustFail.filter((id) => !killed.includes(id)),
        `${entry.name} survived`,
      ).toEqual([])
    })
  }
})
