import { describe, expect, test, vi } from 'vitest'
import { AckBatcher } from '../src/consumer/ack-batcher.js'
import { describeThrown } from '../src/consumer/describe.js'
import { DueList } from '../src/consumer/due-list.js'
import { Cohort, HandlerRun, type Outcome } from '../src/consumer/handler-run.js'
import { HandlerRunner } from '../src/consumer/handler-runner.js'
import { LeaseRenewer } from '../src/consumer/lease-renewer.js'
import { SlotGate } from '../src/consumer/slot-gate.js'
import { type Message, QueueClient } from '../src/index.js'
import { ManualClock } from '../src/testing.js'
import { FakeDriver, throttled } from './fake-driver.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
/** Waits until `check` passes; the deadline only ends a test that would fail anyway. */
const eventually = (check: () => void) => vi.waitFor(check, { timeout: 30_000, interval: 5 })
const message = (n: number): Message<string> => ({
  id: `m${n}`,
  payload: 'x',
  receiptHandle: `fake:${n}`,
  attempt: 1,
  enqueuedAt: new Date(0),
  attributes: {},
})

describe('DueList', () => {
  // On a manual clock: which key falls due when is exact, whatever the machine's speed.
  test('each key falls due once, a period after it was (re)added; deleted keys never', async () => {
    const clock = new ManualClock(0)
    const fired: Array<[string, number]> = []
    const list = new DueList<string>(40, (key) => fired.push([key, clock.now()]), clock)
    list.add('a')
    list.add('b')
    list.add('gone')
    await clock.advance(20)
    list.add('a') // moves to the back: due 40 ms from now, at 60
    list.delete('gone')
    await clock.advance(19)
    expect(fired).toEqual([])
    await clock.advance(1)
    expect(fired).toEqual([['b', 40]])
    await clock.advance(19)
    expect(fired).toEqual([['b', 40]])
    await clock.advance(1)
    expect(fired).toEqual([
      ['b', 40],
      ['a', 60],
    ])
    await clock.advance(1_000)
    expect(fired).toHaveLength(2)
    expect(list.size).toBe(0)
    expect(clock.pendingTimers).toBe(0)
  })

  test('clear() forgets every key and leaves no timer behind', async () => {
    const clock = new ManualClock(0)
    const fired: string[] = []
    const list = new DueList<string>(10, (key) => fired.push(key), clock)
    list.add('a')
    list.clear()
    expect(clock.pendingTimers).toBe(0)
    await clock.advance(1_000)
    expect(fired).toEqual([])
  })
})

describe('SlotGate', () => {
  test('a receive takes a full batch when it can, a partial one only while no other receive is out', async () => {
    const gate = new SlotGate(16)
    expect(gate.takeForReceive(10)).toBe(10) // full batch
    expect(gate.takeForReceive(10)).toBe(0) // 6 free, but a receive is out: wait
    let woken = false
    const waiting = gate.wait().then(() => {
      woken = true
    })
    await sleep(1)
    expect(woken).toBe(false)
    gate.received(0) // the first receive came back full
    await waiting
    expect(gate.takeForReceive(10)).toBe(6) // nothing else in flight: the free slots should not idle
    gate.received(6) // came back empty
    gate.release(10) // the handlers of the first batch ended
    expect(gate.free).toBe(16)
    gate.close()
    await gate.wait() // resolves at once once closed
  })

  test('below a batch of capacity, the whole capacity is a full batch', () => {
    const gate = new SlotGate(3)
    expect(gate.takeForReceive(10)).toBe(3)
    expect(gate.takeForReceive(10)).toBe(0)
  })
})

describe('AckBatcher', () => {
  test('acks of one tick go out in batches of 10, and each learns its result', async () => {
    const driver = new FakeDriver()
    const queue = new QueueClient(driver, { retry: false }).queue('q')
    const acks = new AckBatcher(queue)
    const results: unknown[] = []
    driver.failNext('ackBatch', undefined, undefined, throttled()) // the third batch fails
    for (let i = 0; i < 25; i++) acks.ack(message(i), (error, m) => results.push([m.id, error === undefined]))
    await eventually(() => expect(results).toHaveLength(25))
    expect(driver.calls.map((c) => (c.args[1] as string[]).length)).toEqual([10, 10, 5])
    expect(results).toHaveLength(25)
    expect(results.filter((r) => !(r as [string, boolean])[1])).toHaveLength(5)
  })
})

describe('describeThrown', () => {
  test.each([
    [new TypeError('bad'), 'TypeError: bad'],
    [null, 'null'],
    [undefined, 'undefined'],
    ['text', 'text'],
    [Symbol('s'), 'Symbol(s)'],
    [42, '42'],
    [Object.create(null), '[object Object]'],
    [{ code: 7 }, '{"code":7}'],
    [{ message: 'why' }, 'why'],
    [() => {}, 'a function (anonymous)'],
  ])('%j reads as %j', (value, text) => {
    expect(describeThrown(value)).toBe(text)
  })

  test('a Proxy whose every trap throws still reads as something', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap')
        },
        ownKeys() {
          throw new Error('trap')
        },
      },
    )
    expect(describeThrown(hostile)).toBe('an object')
  })
})

describe('LeaseRenewer', () => {
  test('renews the runs of a cohort still running, reports a failed renewal as lost, and stops for good', async () => {
    const clock = new ManualClock(0)
    const driver = new FakeDriver()
    driver.leaseSeconds = 0.15 // renew every 50 ms
    const queue = new QueueClient(driver, { retry: false }).queue('q')
    const lost: Array<[string, unknown]> = []
    const renewer = new LeaseRenewer(queue, (run, error) => lost.push([run.message.id, error]), clock)
    const ended: Outcome[] = []
    const cohort = new Cohort()
    const runs = [1, 2, 3].map((n) => new HandlerRun(message(n), cohort, (_, o) => ended.push(o)))
    runs[0]!.end({ kind: 'succeeded' }) // finished: never renewed
    renewer.track(cohort)
    driver.failNext('renewLease', undefined, Object.assign(new Error('gone'), { kind: 'denied' }))
    const renewed = () => driver.calls.filter((c) => c.method === 'renewLease').map((c) => c.args[1])
    await clock.advance(49)
    expect(renewed()).toEqual([])
    await clock.advance(1)
    expect(renewed()).toEqual(['fake:2', 'fake:3'])
    expect(lost.map(([id]) => id)).toEqual(['m3'])
    await clock.advance(50) // the next renewal, a third of a lease after the last
    expect(renewed()).toEqual(['fake:2', 'fake:3', 'fake:2', 'fake:3'])
    renewer.stop()
    expect(clock.pendingTimers).toBe(0)
    await clock.advance(1_000)
    expect(renewed()).toHaveLength(4)
  })
})

describe('HandlerRunner', () => {
  // The time limit runs on a manual clock: only the test's advance() can make a run time out.
  const runner = (
    handler: (m: Message<any>, run: HandlerRun) => unknown,
    timeoutMs = 1_000,
    clock = new ManualClock(0),
  ) =>
    new HandlerRunner<any>({
      handler: handler as never,
      schema: undefined,
      timeoutMs,
      clock,
      around: () => undefined,
    })

  test.each([
    ['returns', () => 'ignored', 'succeeded'],
    ['resolves', async () => {}, 'succeeded'],
    [
      'throws',
      () => {
        throw new Error('x')
      },
      'failed',
    ],
    [
      'rejects',
      async () => {
        throw new Error('x')
      },
      'failed',
    ],
    [
      'returns a thenable whose then throws',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
        get then() {
          return () => {
            throw new Error('then')
          }
        },
      }),
      'failed',
    ],
    [
      'asks for a retry, then throws',
      (_: unknown, run: HandlerRun) => {
        run.retry({ delaySeconds: 3 })
        throw new Error('x')
      },
      'retry',
    ],
    [
      'dead-letters with a Symbol reason',
      (_: unknown, run: HandlerRun) => run.deadLetter(Symbol('why') as never),
      'dead-letter',
    ],
  ])('a handler that %s ends its run as %s', async (_, handler, kind) => {
    const outcomes: Outcome[] = []
    const cohort = new Cohort()
    new HandlerRun(message(1), cohort, (_, o) => outcomes.push(o))
    runner(handler as never).start(cohort)
    await eventually(() => expect(outcomes).toHaveLength(1))
    expect(outcomes.map((o) => o.kind)).toEqual([kind])
  })

  test('a handler past its time limit ends timed-out, its signal aborted; what it does later is ignored', async () => {
    const outcomes: Outcome[] = []
    let finish!: () => void
    let signal!: AbortSignal
    const cohort = new Cohort()
    const clock = new ManualClock(0)
    new HandlerRun(message(1), cohort, (_, o) => outcomes.push(o))
    runner(
      (_, context) =>
        new Promise<void>((resolve) => {
          signal = context.signal
          finish = resolve
        }),
      30,
      clock,
    ).start(cohort)
    await clock.advance(29)
    expect(outcomes).toEqual([])
    expect(signal.aborted).toBe(false)
    await clock.advance(1)
    expect(outcomes.map((o) => o.kind)).toEqual(['timed-out'])
    expect(signal.reason).toMatchObject({ name: 'TimeoutError' })
    finish()
    await sleep(5)
    expect(outcomes).toHaveLength(1)
  })

  test('a signal read after an abort is already aborted, with the reason', () => {
    const run = new HandlerRun(message(1), new Cohort(), () => {})
    run.abort(new Error('stopping'))
    expect(run.signal.aborted).toBe(true)
    expect((run.signal.reason as Error).message).toBe('stopping')
  })

  test('retry with a bad delay is INVALID_ARGUMENT to the handler', () => {
    const run = new HandlerRun(message(1), new Cohort(), () => {})
    expect(() => run.retry({ delaySeconds: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    const { retry } = run // destructured helpers stay bound
    retry({ delaySeconds: 2 })
    expect(run.decision).toEqual({ kind: 'retry', delaySeconds: 2 })
  })
})
