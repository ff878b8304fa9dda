import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import { ATTRIBUTE_NAME_PATTERN, isQueueError, LIMITS, type Payload } from '@anyqueue/queue-core'
import fc from 'fast-check'
import type { ConformanceCase } from '../case.js'
import type { CaseContext } from '../context.js'
import { drain } from '../helpers.js'

/** Codes a send may answer bad input with; anything else (or a raw TypeError) breaks the contract. */
const SEND_CODES = new Set(['INVALID_PAYLOAD', 'MESSAGE_TOO_LARGE', 'INVALID_ARGUMENT'])

/** The seed: fixed, so every run checks the same cases; `ANYQUEUE_PROPERTY_SEED` picks others. */
function seed(): number {
  return Number(process.env.ANYQUEUE_PROPERTY_SEED ?? 20_261_123)
}

const attributeName = fc
  .stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/)
  .filter((name) => ATTRIBUTE_NAME_PATTERN.test(name))
const attributeValue = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
const attributes = fc.dictionary(attributeName, attributeValue, { maxKeys: LIMITS.maxAttributes })
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
)
const json = fc.jsonValue({ maxDepth: 4 }).filter((v) => typeof v !== 'string')
const entry = fc.record({ payload: fc.oneof(text, json) as fc.Arbitrary<Payload>, attributes })

/**
 * Generated payloads and attributes, sent in batches: every entry arrives exactly as sent (text as the
 * same string, JSON as an equal value of the same type, attributes equal), or the whole batch is
 * refused with a documented QueueError. `runs` entries in all.
 */
async function roundTrips(ctx: CaseContext, runs: number): Promise<void> {
  const queue = await ctx.queue()
  const runSeed = seed()
  let entries = 0
  let refused = 0
  const property = fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 10 }), async (batch) => {
    if (ctx.signal.aborted) return
    entries += batch.length
    let results: Awaited<ReturnType<typeof queue.sendBatch>>
    try {
      results = await queue.sendBatch(batch)
    } catch (error) {
      assert.ok(
        isQueueError(error) && SEND_CODES.has(error.code),
        `sendBatch of generated input threw ${isQueueError(error) ? error.code : String(error)}; bad input must be a QueueError with a documented code`,
      )
      refused += batch.length
      return
    }
    const sent = new Map(results.map((r, i) => [r.ok ? r.id : `failed ${i}`, batch[i]!]))
    for (const [i, r] of results.entries())
      assert.ok(r.ok, `entry ${i} of a valid batch failed: ${r.ok ? '' : r.error.message}`)
    const got = await drain(queue, batch.length, ctx.patience(30_000))
    assert.equal(got.length, batch.length, `${batch.length} generated entries sent, ${got.length} arrived`)
    for (const m of got) {
      const expected = sent.get(m.id)
      assert.ok(expected, `a message arrived that was not sent (${m.id})`)
      assert.ok(
        isDeepStrictEqual(m.payload, expected.payload),
        `${JSON.stringify(expected.payload)} arrived as ${JSON.stringify(m.payload)}`,
      )
      assert.deepEqual(
        { ...m.attributes },
        { ...expected.attributes },
        `generated attributes ${JSON.stringify(expected.attributes)} arrived as ${JSON.stringify(m.attributes)}`,
      )
    }
  })
  const batches = Math.max(1, Math.ceil(runs / 5.5)) // 1 to 10 entries a batch, 5.5 on average
  await fc.assert(property, { numRuns: batches, seed: runSeed }).catch((error: unknown) => {
    // fast-check's report: the shrunk counterexample, then what the property saw go wrong.
    const lines = (error as Error).message.split('\n')
    const cause = (error as { cause?: unknown }).cause
    const got =
      cause instanceof Error
        ? cause.message.split('\n')[0]
        : (lines.find((l) => l.startsWith('Got '))?.replace(/^Got (error: )?/, '') ?? lines[0])
    const example = lines.find((l) => l.startsWith('Counterexample: '))?.slice(0, 400)
    throw new Error(`${got}; ${example} (replay with ANYQUEUE_PROPERTY_SEED=${runSeed})`)
  })
  ctx.note(`${entries} generated entries in ${batches} batches (${refused} refused), seed ${runSeed}`)
}

/** Generated input against the public API, on the driver: the round trip holds for any of it. */
export const propertyCases: ConformanceCase[] = [
  {
    id: 'properties.round-trip',
    name: 'properties: any generated text, JSON and attributes round-trip exactly, or are refused with a documented code',
    timeoutMs: () => 180_000,
    async run(ctx) {
      await roundTrips(ctx, ctx.target.propertyRuns ?? 200)
    },
  },
]
