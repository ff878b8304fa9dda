import { describe, expect, test } from 'vitest'
import { CaseContext } from '../src/context.js'
import {
  MAX_SCALE,
  probeBackend,
  Slots,
  timingFromSamples,
  timingLine,
  UNSCALED,
  withManualTiming,
} from '../src/probe.js'
import { runCase } from '../src/run.js'
import { bound, slackMs } from '../src/timing.js'
import { SkeletonDriver } from './fixtures/skeleton-driver.js'
import { slowDriver } from './fixtures/slow-driver.js'

const target = (latency: (inFlight: number) => number) => ({
  name: 'fake',
  open: () => slowDriver(new SkeletonDriver({ leaseSeconds: 2 }), latency),
})

describe('the suite measures the backend it meets', () => {
  test('a fast backend: deadlines as written, cases not limited', { timeout: 120_000 }, async () => {
    // A backend answering at once can still be measured slow when the machine running the test is
    // busy: the fastest of up to five probes is the backend's own speed (the earliest of samples).
    let timing = await probeBackend(
      target(() => 0),
      'fast',
    )
    for (let tries = 1; tries < 5 && timing.scale !== 1; tries++) {
      timing = await probeBackend(
        target(() => 0),
        'fast',
      )
    }
    expect(timing.scale).toBe(1)
    expect(timing.concurrency).toBe(Number.POSITIVE_INFINITY)
    expect(timing.measured!.concurrentP90).toBeLessThan(250)
    expect(timingLine('fake', timing)).toMatch(
      /^fake: round trip \d+–\d+ ms \(p90 under 16 concurrent calls\); deadlines as written; cases not limited$/,
    )
  })

  test('a slow backend that serves one call at a time: deadlines scaled, cases limited', {
    timeout: 60_000,
  }, async () => {
    // 100 ms a call for every call under way: 16 at once take about 1.6 s each.
    const timing = await probeBackend(
      target((inFlight) => 100 * inFlight),
      'slow',
    )
    expect(timing.measured!.median).toBeGreaterThanOrEqual(100)
    expect(timing.measured!.concurrentP90).toBeGreaterThanOrEqual(1_000)
    expect(timing.scale).toBeGreaterThanOrEqual(4)
    expect(timing.scale).toBeLessThanOrEqual(MAX_SCALE)
    expect(timing.concurrency).toBeGreaterThanOrEqual(2)
    expect(timing.concurrency).toBeLessThanOrEqual(8)
    expect(timingLine('fake', timing)).toMatch(/deadlines scaled ×[\d.]+; at most \d+ cases at once$/)
  })

  test('the scale and limit follow the measured round trip, not the machine', () => {
    expect(timingFromSamples([20, 30, 40], [50, 60, 200])).toMatchObject({ scale: 1, roundTripMs: 200 })
    const slow = timingFromSamples([40, 300, 900], Array(16).fill(900))
    expect(slow).toMatchObject({ scale: 4, roundTripMs: 900, concurrency: 9 })
    expect(timingFromSamples([5_000], [20_000])).toMatchObject({ scale: MAX_SCALE, concurrency: 2 })
  })

  test('set by hand: the scale replaces the probe, the concurrency caps the cases', async () => {
    const timing = await probeBackend(
      target(() => 10_000),
      'unused',
      { scale: 3, concurrency: 4 },
    )
    expect(timing).toMatchObject({ scale: 3, concurrency: 4, note: 'set by hand' })
    expect(timingLine('fake', timing)).toBe('fake: set by hand; deadlines scaled ×3; at most 4 cases at once')
    expect(withManualTiming(UNSCALED, { concurrency: 2 }).concurrency).toBe(2)
  })

  test('a probe that fails leaves the suite unscaled and says why', async () => {
    const timing = await probeBackend(
      {
        name: 'down',
        open: () => {
          throw new Error('connection refused')
        },
      },
      'down',
    )
    expect(timing).toMatchObject({ scale: 1, note: 'probe failed: connection refused' })
  })

  test('upper bounds grow by the round trip, never past 1.5 × the declared time', () => {
    expect(slackMs(3_000)).toBe(1_000)
    expect(bound(3_000, 300)).toBe(4_300)
    expect(bound(3_000, 5_000)).toBe(4_500)
    expect(bound(2_000, 5_000)).toBe(3_000) // a 2 s lease: its 1 s floor already reaches 1.5 ×
    for (const ms of [1_000, 2_000, 3_000, 5_000, 10_000, 30_000]) {
      for (const roundTrip of [0, 200, 900, 3_000, 60_000]) {
        // Between the bound and twice `ms` lie the polls that catch a doubled lease or delay.
        expect(bound(ms, roundTrip)).toBeLessThanOrEqual(Math.max(bound(ms), 1.5 * ms))
        expect(bound(ms, roundTrip)).toBeGreaterThanOrEqual(bound(ms))
      }
    }
  })

  test('slots: at most n at once, the rest wait in order', async () => {
    const slots = new Slots(2)
    let running = 0
    let most = 0
    const order: number[] = []
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        slots.run(async () => {
          running++
          most = Math.max(most, running)
          await new Promise((resolve) => setTimeout(resolve, 20))
          order.push(n)
          running--
        }),
      ),
    )
    expect(most).toBe(2)
    expect(order).toEqual([0, 1, 2, 3, 4])
  })

  test("a case's time limit starts when it gets its slot, not while it waits", async () => {
    const slots = new Slots(1)
    const t = { name: 'skeleton', open: () => new SkeletonDriver({ leaseSeconds: 2 }) }
    const slow = {
      id: 'x.slow',
      name: 'takes 300 ms',
      timeoutMs: () => 500,
      run: () => new Promise<void>((resolve) => setTimeout(resolve, 300)),
    }
    // Three cases of 300 ms, one at a time, each with a 500 ms limit: the last waits 600 ms.
    await Promise.all(['a', 'b', 'c'].map((store) => runCase(t, slow, store, { slots })))
  })

  test("the context scales a case's patience", async () => {
    const ctx = await CaseContext.open({ name: 'skeleton', open: () => new SkeletonDriver() }, 'ctx', {
      scale: 3,
      roundTripMs: 400,
      concurrency: 4,
    })
    try {
      expect(ctx.patience(10_000)).toBe(30_000)
      expect(ctx.bound(3_000)).toBe(4_400)
    } finally {
      await ctx.dispose()
    }
  })
})
