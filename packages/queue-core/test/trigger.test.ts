import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { IncomingMessage } from '../src/driver.js'
import { CONTENT_TYPE_JSON, createTriggerPipeline, QueueClient, type StandardSchemaV1 } from '../src/index.js'
import { ManualClock } from '../src/testing.js'
import { FakeDriver } from './fake-driver.js'

const incoming = (
  n: number,
  body: string,
  attempt = 1,
  contentType = CONTENT_TYPE_JSON,
): IncomingMessage => ({
  id: `m${n}`,
  body,
  contentType,
  receiptHandle: `fake:${n}`,
  attempt,
  enqueuedAt: new Date(0),
  attributes: {},
})

function setup(clock?: ManualClock) {
  const driver = new FakeDriver()
  if (clock) Object.assign(driver, { clock })
  const client = new QueueClient(driver)
  return { driver, queue: client.queue<{ n: number }>('jobs') }
}

const positive: StandardSchemaV1<unknown, { n: number }> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) =>
      typeof (value as { n?: unknown })?.n === 'number' && (value as { n: number }).n >= 0
        ? { value: value as { n: number } }
        : { issues: [{ message: 'n must be a number ≥ 0', path: ['n'] }] },
  },
}

describe('TriggerPipeline: one delivery through consume()’s handler pipeline', () => {
  test('each message gets its own outcome, in order: a failing one does not fail the others', async () => {
    const { queue } = setup()
    const pipeline = createTriggerPipeline(
      queue,
      (message, context) => {
        const n = message.payload.n
        if (n === 1) throw new Error('boom')
        if (n === 2) context.retry({ delaySeconds: 7 })
        if (n === 3) context.deadLetter('not for us')
      },
      { backoff: () => 4 },
    )
    const messages = [0, 1, 2, 3].map((n) => pipeline.decode(incoming(n, JSON.stringify({ n }))))
    const outcomes = await pipeline.run(messages)
    expect(outcomes).toEqual([
      { kind: 'ack' },
      { kind: 'fail', error: new Error('boom'), delaySeconds: 4, timedOut: false },
      { kind: 'retry', delaySeconds: 7 },
      { kind: 'dead-letter', reason: 'not for us' },
    ])
  })

  test('at maxAttempts a failure is dead-lettered with the reason consume() gives', async () => {
    const { queue } = setup()
    const pipeline = createTriggerPipeline(
      queue,
      () => {
        throw new TypeError('poison')
      },
      { maxAttempts: 3 },
    )
    const [below] = await pipeline.run([pipeline.decode(incoming(1, '{"n":1}', 2))])
    expect(below).toMatchObject({ kind: 'fail' })
    const [at] = await pipeline.run([pipeline.decode(incoming(1, '{"n":1}', 3))])
    expect(at).toEqual({ kind: 'dead-letter', reason: 'failed 3 times, last: TypeError: poison' })
  })

  test('undecodable and schema-invalid payloads are dead-lettered at once; the handler never sees them', async () => {
    const { queue } = setup()
    const seen: unknown[] = []
    const pipeline = createTriggerPipeline(queue, (m) => void seen.push(m.payload), { schema: positive })
    const outcomes = await pipeline.run([
      pipeline.decode(incoming(1, 'not json')),
      pipeline.decode(incoming(2, '{"n":-1}')),
      pipeline.decode(incoming(3, '{"n":5}')),
    ])
    expect(outcomes[0]).toMatchObject({
      kind: 'dead-letter',
      reason: expect.stringMatching(/^INVALID_PAYLOAD: /),
    })
    expect(outcomes[1]).toMatchObject({
      kind: 'dead-letter',
      reason: expect.stringMatching(/^invalid payload: /),
    })
    expect(outcomes[2]).toEqual({ kind: 'ack' })
    expect(seen).toEqual([{ n: 5 }])
  })

  test('a handler past the platform deadline has its signal aborted and fails as timed out (manual clock)', async () => {
    const clock = new ManualClock(0)
    const { queue } = setup(clock)
    let aborted: unknown
    const pipeline = createTriggerPipeline(
      queue,
      (_m, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason
            resolve()
          })
        }),
      { backoff: () => 0 },
    )
    const running = pipeline.run([pipeline.decode(incoming(1, '{"n":1}'))], { timeoutMs: 5_000 })
    await clock.advance(4_999)
    await clock.advance(1)
    const [outcome] = await running
    expect(outcome).toMatchObject({ kind: 'fail', timedOut: true, delaySeconds: 0 })
    expect((aborted as DOMException).name).toBe('TimeoutError')
    expect(clock.pendingTimers).toBe(0)
  })

  test('the caller’s signal aborts the handlers', async () => {
    const { queue } = setup()
    const controller = new AbortController()
    const pipeline = createTriggerPipeline(queue, (_m, { signal }) => {
      if (signal.aborted) throw signal.reason
    })
    controller.abort(new Error('platform shutting down'))
    const [outcome] = await pipeline.run([pipeline.decode(incoming(1, '{"n":1}'))], {
      signal: controller.signal,
    })
    expect(outcome).toMatchObject({ kind: 'fail', error: new Error('platform shutting down') })
  })

  test('deadLetter() sends to <name>-dlq with the reason and leaves the message for the platform', async () => {
    const { queue, driver } = setup()
    const pipeline = createTriggerPipeline(queue, () => {})
    await pipeline.deadLetter(pipeline.decode(incoming(1, 'not json', 4)), 'why')
    expect(driver.calls.map((c) => c.method)).toEqual(['createQueue', 'sendBatch'])
    expect(driver.stored[0]).toMatchObject({
      body: 'not json',
      attributes: { 'dlq-reason': 'why', 'dlq-attempts': '4', 'dlq-source': 'jobs' },
    })
  })

  test('options are checked as consume() checks them; consume()-only ones are refused', () => {
    const { queue } = setup()
    expect(() => createTriggerPipeline(queue, () => {}, { maxAttempts: 0 })).toThrow(/maxAttempts/)
    expect(() => createTriggerPipeline(queue, () => {}, { concurrency: 2 } as never)).toThrow(/concurrency/)
    expect(() => createTriggerPipeline(queue, 'nope' as never)).toThrow(/handler/)
  })

  test('property: the outcome follows what the handler did and the attempt, as consume() settles it', async () => {
    const { queue } = setup()
    type Act = 'ok' | 'throw' | 'retry' | 'dead'
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            act: fc.constantFrom<Act>('ok', 'throw', 'retry', 'dead'),
            attempt: fc.integer({ min: 1, max: 8 }),
          }),
          {
            minLength: 1,
            maxLength: 10,
          },
        ),
        async (plan) => {
          const pipeline = createTriggerPipeline(
            queue,
            (message, context) => {
              const act = plan[message.payload.n]!.act
              if (act === 'throw') throw new Error(`no ${message.payload.n}`)
              if (act === 'retry') context.retry({ delaySeconds: 2 })
              if (act === 'dead') context.deadLetter('asked')
            },
            { maxAttempts: 5, backoff: (attempt) => attempt },
          )
          const outcomes = await pipeline.run(
            plan.map((p, n) => pipeline.decode(incoming(n, JSON.stringify({ n }), p.attempt))),
          )
          plan.forEach(({ act, attempt }, n) => {
            const expected =
              act === 'ok'
                ? { kind: 'ack' }
                : act === 'retry'
                  ? { kind: 'retry', delaySeconds: 2 }
                  : act === 'dead'
                    ? { kind: 'dead-letter', reason: 'asked' }
                    : attempt >= 5
                      ? { kind: 'dead-letter', reason: `failed ${attempt} times, last: Error: no ${n}` }
                      : { kind: 'fail', error: new Error(`no ${n}`), delaySeconds: attempt, timedOut: false }
            expect(outcomes[n]).toEqual(expected)
          })
        },
      ),
      { seed: 2025, numRuns: 100 },
    )
  })
})
