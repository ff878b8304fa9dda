/**
 * Property-based tests of the public API on the fake driver, with fast-check: generated queue
 * names, payloads, attributes, options and handles. Every call must either resolve with an exact
 * round trip or reject with a QueueError whose code is documented for that call — no hang, no raw
 * TypeError or RangeError, no unhandled rejection. Seeded and reproducible: set FC_SEED to replay
 * a run; the seed and the case counts are printed.
 */
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import {
  consume,
  isQueueError,
  LIMITS,
  type Payload,
  QUEUE_NAME_PATTERN,
  type Queue,
  QueueClient,
  type QueueErrorCode,
} from '../src/index.js'
import { FakeDriver } from './fake-driver.js'

const SEED = Number(process.env.FC_SEED ?? 20_261_123)
/**
 * How long a call may take before it counts as hanging. Every call here answers at once on the fake
 * driver, so only a broken core ever waits this out: generous, so a loaded machine's pause is not
 * read as a hang.
 */
const HANG_MS = 10_000

const tally = new Map<string, { cases: number; violations: string[] }>()
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => void unhandled.push(reason)
beforeAll(() => process.on('unhandledRejection', onUnhandled))
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
  const total = [...tally.values()].reduce((sum, t) => sum + t.cases, 0)
  const lines = [...tally].map(
    ([name, t]) => `  ${name}: ${t.cases} cases, ${t.violations.length} violations`,
  )
  console.log(`property cases (seed ${SEED}): ${total} in all\n${lines.join('\n')}`)
})

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

/** Runs `call` (sync throw, rejection or hang included) and tells how it ended. */
async function outcome(call: () => unknown): Promise<Outcome | 'hang'> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_MS)
  })
  const run = (async () => {
    try {
      return { ok: true as const, value: await call() }
    } catch (error) {
      return { ok: false as const, error }
    }
  })()
  const result = await Promise.race([run, hang])
  clearTimeout(timer)
  return result
}

/**
 * Runs `check` on `runs` generated cases and records each violation it reports; the test then
 * fails listing them. Sampling (instead of stopping at the first failure) gives the counts.
 */
async function property<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  runs: number,
  check: (value: T) => Promise<string | undefined>,
): Promise<void> {
  const violations: string[] = []
  const samples = fc.sample(arbitrary, { seed: seedOf(name), numRuns: runs })
  for (const sample of samples) {
    let violation: string | undefined
    try {
      violation = await check(sample)
    } catch (error) {
      violation = `the check itself threw: ${String(error)}`
    }
    if (violation) violations.push(`${violation} — for ${printable(sample)}`)
  }
  tally.set(name, { cases: samples.length, violations })
  expect(violations.slice(0, 10)).toEqual([])
  expect(unhandled).toEqual([])
}

/** Each property's own seed, derived from FC_SEED and its name: one can be replayed alone. */
function seedOf(name: string): number {
  let hash = SEED
  for (const char of name) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0
  return hash
}

function printable(value: unknown): string {
  try {
    return fc.stringify(value).slice(0, 200)
  } catch {
    return '(a value too deep to print)'
  }
}

/** '' when `result` is a QueueError with one of `codes`, else what is wrong. */
function judge(result: Outcome | 'hang', codes: readonly QueueErrorCode[]): string | undefined {
  if (result === 'hang') return `no answer within ${HANG_MS} ms`
  if (result.ok) return undefined
  if (isQueueError(result.error) && codes.includes(result.error.code)) return undefined
  const e = result.error as { name?: string; code?: string; message?: string }
  return `rejected with ${e?.name ?? typeof e} ${e?.code ?? ''} ${String(e?.message ?? '')}`.trim()
}

function setup() {
  const driver = new FakeDriver()
  const client = new QueueClient(driver, { retry: false })
  return { driver, client, queue: client.queue<any>('q') }
}

/** What a faithful JSON round trip gives back: -0 becomes 0, nothing else changes. */
function jsonModel(value: unknown): unknown {
  if (Object.is(value, -0)) return 0
  if (Array.isArray(value)) return value.map(jsonModel)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonModel(v)]))
  }
  return value
}

/** An object every read of which throws: options, attributes and handles must survive it. */
const throwingProxy = new Proxy(
  {},
  {
    get() {
      throw new Error('hostile getter')
    },
    getPrototypeOf() {
      throw new Error('hostile getPrototypeOf')
    },
    ownKeys() {
      throw new Error('hostile ownKeys')
    },
  },
)
const withThrowingGetter = {
  maxMessages: 1,
  get waitSeconds(): number {
    throw new Error('hostile getter')
  },
}

const loneSurrogates = fc.constantFrom('\uD800', 'a\uDC00b', '\uDBFF\uDBFF', 'ok\uD83D')
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), loneSurrogates, fc.string())

test('queue names: valid ones work, any other value is INVALID_QUEUE_NAME', async () => {
  const names = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    anyString,
    fc.string({ minLength: 60, maxLength: 70, unit: fc.constantFrom('a', '_', '-', '9') }),
    fc.anything(),
  )
  await property('queue names', names, 400, async (name) => {
    const { client } = setup()
    const valid = typeof name === 'string' && QUEUE_NAME_PATTERN.test(name)
    for (const call of [() => client.queue(name as string), () => client.createQueue(name as string)]) {
      const result = await outcome(call)
      const wrong = judge(result, ['INVALID_QUEUE_NAME'])
      if (wrong) return wrong
      if (result !== 'hang' && result.ok !== valid) return `valid=${valid} but ok=${result.ok}`
    }
    return undefined
  })
})

test('JSON and text payloads come back exactly, or are refused with INVALID_PAYLOAD / MESSAGE_TOO_LARGE', async () => {
  const payloads = fc.oneof(
    fc.jsonValue({ maxDepth: 6 }),
    anyString,
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ wrapped: v, text: 'é😀' })),
    fc.string({ minLength: 21_000, maxLength: 23_000, unit: fc.constantFrom('a', 'é', '€') }),
  )
  await property('payload round trip', payloads, 700, async (payload) => {
    const { queue } = setup()
    const sent = await outcome(() => queue.send(payload as Payload))
    const wrong = judge(sent, ['INVALID_PAYLOAD', 'MESSAGE_TOO_LARGE'])
    if (wrong || sent === 'hang' || !sent.ok) return wrong
    const [message] = await queue.receive()
    const expected = typeof payload === 'string' ? payload : jsonModel(payload)
    if (!isDeepStrictEqual(message?.payload, expected)) return 'the payload changed on the way'
    return undefined
  })
})

/** Values JSON cannot carry faithfully, alone or nested in a valid payload. */
const hostile = fc
  .oneof(
    fc.constantFrom<unknown>(
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      10n,
      Symbol('s'),
      () => 1,
      new Date(0),
      new Map([[1, 2]]),
      new Set([1]),
      new Uint8Array(2),
      // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
      [1, , 3],
      Object.assign([1, 2], { extra: true }),
      Object.assign([1], { toJSON: () => 'changed' }),
      { toJSON: () => 'changed' },
      Object.create(null),
      Object.create({ inherited: 1 }),
      new (class Point {
        x = 1
      })(),
      new String('boxed'),
      Proxy.revocable({}, {}),
    ),
    fc.integer({ min: 60, max: 6_000 }).map((depth) => {
      let value: unknown = 0
      for (let i = 0; i < depth; i++) value = i % 2 ? { k: value } : [value]
      return value
    }),
    fc.constant(null).map(() => {
      const cycle: Record<string, unknown> = { a: 1 }
      cycle.self = cycle
      return cycle
    }),
    fc.tuple(fc.jsonValue({ maxDepth: 2 }), fc.anything()).map(([first, later]) => {
      let reads = 0
      return {
        get value() {
          return reads++ === 0 ? first : later
        },
      }
    }),
    fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
      withBoxedValues: true,
      maxDepth: 3,
    }),
  )
  .chain((value) => fc.constantFrom(value, { nested: [value] }, [1, { deeper: value }]))

test('any value: send resolves with an exact round trip of what was read, or rejects INVALID_PAYLOAD / MESSAGE_TOO_LARGE', async () => {
  await property('hostile payloads', hostile, 500, async (payload) => {
    const { queue, driver } = setup()
    const sent = await outcome(() => queue.send(payload as Payload))
    const wrong = judge(sent, ['INVALID_PAYLOAD', 'MESSAGE_TOO_LARGE'])
    if (wrong || sent === 'hang' || !sent.ok) return wrong
    // What was stored must parse back to exactly what the checker saw: a JSON text the checker wrote.
    const { body, contentType } = driver.stored[0]!
    const [message] = await queue.receive()
    const expected = contentType === 'application/json' ? JSON.parse(body) : body
    if (!isDeepStrictEqual(message?.payload, expected)) return 'the received payload is not the stored one'
    return undefined
  })
})

const attributeNames = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/),
  fc.constantFrom('aws-x', 'goog', 'content-type', 'x-opt-a', '1st', 'a b', '', 'a'.repeat(65), '__proto__'),
  anyString,
)
const attributeValues = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.string({ minLength: 1000, maxLength: 1100, unit: fc.constantFrom('a', 'é') }),
  fc.constantFrom<unknown>('', 1, null, undefined, true, {}, ['x']),
  loneSurrogates,
)

test('attributes: valid ones round-trip exactly, others are INVALID_ARGUMENT naming the attribute', async () => {
  const attributes = fc.oneof(
    fc.dictionary(attributeNames, attributeValues, { maxKeys: 10 }),
    fc.constantFrom<unknown>(null, 'a=b', [], new Map(), 5, throwingProxy, {
      get a(): string {
        throw new Error('hostile')
      },
    }),
  )
  await property('attributes', attributes, 400, async (value) => {
    const { queue } = setup()
    const sent = await outcome(() => queue.send('x', { attributes: value as Record<string, string> }))
    const wrong = judge(sent, ['INVALID_ARGUMENT'])
    if (wrong || sent === 'hang') return wrong
    let entries: Array<[string, unknown]> = []
    let readable = true
    try {
      entries = value !== null && typeof value === 'object' ? Object.entries(value) : []
      Object.getPrototypeOf(value)
    } catch {
      readable = false // a hostile object: refusing it is the only right answer
    }
    const valid =
      readable &&
      value !== null &&
      typeof value === 'object' &&
      [Object.prototype, null].includes(Object.getPrototypeOf(value)) &&
      entries.length <= LIMITS.maxAttributes &&
      entries.every(
        ([k, v]) =>
          /^(?!(?:aws|amazon|goog|x-opt-|content-))[A-Za-z][A-Za-z0-9_-]{0,63}$/i.test(k) &&
          typeof v === 'string' &&
          v.isWellFormed() &&
          Buffer.byteLength(v) >= 1 &&
          Buffer.byteLength(v) <= LIMITS.maxAttributeValueBytes,
      )
    if (sent.ok !== valid) return `valid=${valid} but ok=${sent.ok}`
    if (!sent.ok) {
      const field = (sent.error as { field?: string }).field ?? ''
      return field.startsWith('attributes') ? undefined : `field ${field} does not name the attributes`
    }
    const [message] = await queue.receive()
    return isDeepStrictEqual(message?.attributes, { ...(value as object) })
      ? undefined
      : 'the attributes changed on the way'
  })
})

const numbers = fc.oneof(
  fc.integer({ min: -5, max: 50_000 }),
  fc.double(),
  fc.constantFrom<unknown>(
    undefined,
    null,
    '1',
    Number.NaN,
    -0,
    0.5,
    Object.create(null),
    {},
    1n,
    Symbol('n'),
    throwingProxy,
  ),
)

test('receive, send and nack options: within the documented range they work, else INVALID_ARGUMENT or NOT_SUPPORTED', async () => {
  const calls = fc.oneof(
    fc.record({
      kind: fc.constant('receive' as const),
      options: fc.oneof(
        fc.record(
          {
            maxMessages: numbers,
            waitSeconds: fc.oneof(numbers, fc.constantFrom(0, 0.001, 20, 20.5)),
            signal: fc.constantFrom<unknown>(undefined, AbortSignal.abort(), {}, 'signal', null),
          },
          { requiredKeys: [] },
        ),
        fc.anything(),
        fc.constantFrom(throwingProxy, withThrowingGetter),
      ),
    }),
    fc.record({
      kind: fc.constant('send' as const),
      options: fc.oneof(fc.record({ delaySeconds: numbers }, { requiredKeys: [] }), fc.anything()),
    }),
    fc.record({
      kind: fc.constant('nack' as const),
      options: fc.oneof(fc.record({ delaySeconds: numbers }, { requiredKeys: [] }), fc.anything()),
    }),
  )
  await property('options', calls, 500, async ({ kind, options }) => {
    const { queue } = setup()
    await queue.send('x')
    const call =
      kind === 'receive'
        ? () => queue.receive(options as never)
        : kind === 'send'
          ? () => queue.send('y', options as never)
          : () => queue.nack('fake:1', options as never)
    return judge(await outcome(call), ['INVALID_ARGUMENT', 'NOT_SUPPORTED'])
  })
})

test('handles: ack, nack and renewLease resolve for a real handle, else INVALID_RECEIPT_HANDLE or INVALID_ARGUMENT', async () => {
  const handles = fc.oneof(
    fc.constantFrom<unknown>('fake:1', { receiptHandle: 'fake:2' }, throwingProxy, [throwingProxy, 'fake:1']),
    anyString,
    fc.anything(),
    fc.array(fc.oneof(fc.constant('fake:3'), fc.anything()), { maxLength: 25 }),
  )
  await property('handles', handles, 400, async (handle) => {
    const { queue } = setup()
    for (const call of [
      () => queue.ack(handle as never),
      () => queue.nack(handle as never),
      () => queue.renewLease(handle as never),
      () => queue.ackBatch(handle as never),
    ]) {
      const wrong = judge(await outcome(call), ['INVALID_RECEIPT_HANDLE', 'INVALID_ARGUMENT'])
      if (wrong) return wrong
    }
    return undefined
  })
})

test('consume options: rejected at the call with INVALID_ARGUMENT, or a consumer that handles a message and stops', async () => {
  const options = fc.oneof(
    fc.record(
      {
        concurrency: fc.oneof(fc.integer({ min: 0, max: 40 }), numbers),
        maxAttempts: fc.oneof(fc.integer({ min: 0, max: 5 }), numbers),
        waitSeconds: fc.oneof(fc.constantFrom(0, 0.1, 20, 21, -1), numbers),
        shutdownTimeoutMs: fc.oneof(fc.constantFrom(0, 100, -1), numbers),
        handlerTimeoutSeconds: fc.oneof(fc.constantFrom(0.05, 1, 0, -1), numbers),
        backoff: fc.oneof(
          fc.constant(() => 0),
          fc.record({ multiplier: numbers, jitter: fc.anything() }, { requiredKeys: [] }),
          fc.anything(),
        ),
        onError: fc.constantFrom<unknown>(
          undefined,
          () => {},
          'log',
          () => {
            throw new Error('broken onError')
          },
        ),
        onEvent: fc.constantFrom<unknown>(
          undefined,
          () => {},
          1,
          () => {
            throw null
          },
        ),
        signal: fc.constantFrom<unknown>(undefined, {}, new AbortController().signal),
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
    fc.constantFrom(throwingProxy, {
      get concurrency(): number {
        throw new Error('hostile')
      },
    }),
  )
  await property('consume options', options, 250, async (value) => {
    const { queue } = setup()
    await queue.send('job')
    let handled = 0
    let options = value
    try {
      options = { waitSeconds: 0, onError: () => {}, ...(value as object) }
    } catch {} // a hostile object is passed as it is
    const started = await outcome(() =>
      consume(queue as Queue<string>, () => void handled++, options as never),
    )
    const wrong = judge(started, ['INVALID_ARGUMENT'])
    if (wrong || started === 'hang' || !started.ok) return wrong
    const consumer = started.value as ReturnType<typeof consume>
    const end = performance.now() + HANG_MS
    while (handled === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 2))
    const stopped = await outcome(() => consumer.stop())
    if (stopped === 'hang' || !stopped.ok) return 'stop() did not resolve'
    return handled === 1 ? undefined : `the handler ran ${handled} times`
  })
}, 120_000)
