import { QueueClient } from '@anyqueue/queue-core'
import type { ConformanceTarget } from './target.js'

/**
 * How the suite meets a backend: before the cases, it measures the round trip of a few calls alone
 * and of 16 at once, and sizes the cases from that. A slow or shared backend (an emulator on a busy
 * machine, a far-away region) gets longer deadlines and fewer cases at once, never a failure for
 * being slow; the upper bounds on time grow only by the measured round trip, so a lease or delay
 * twice as long as declared still fails.
 */
export interface BackendTiming {
  /** What the probe measured, in ms; absent when the timing was set by hand or the probe failed. */
  measured?: {
    /** Single calls (send, receive with waitSeconds 0, ack), one at a time. */
    min: number
    median: number
    p90: number
    /** The same calls, 16 at once: how the backend holds up under the suite's own concurrency. */
    concurrentP90: number
  }
  /** Every patience and deadline of a case is multiplied by this (≥ 1); so is its time limit. */
  scale: number
  /** The round trip a timed event may be late by on top of its slack, in ms (see `slackMs`). */
  roundTripMs: number
  /** Cases run at once against this backend; `Infinity`: not limited. */
  concurrency: number
  /** How the values came about, when not by measuring: `set by hand`, `probe failed: …`. */
  note?: string
}

/** Timing by hand: any value given replaces what the probe would have measured. */
export interface TimingOptions {
  /** Deadlines scaled by this (≥ 1). With it the backend is not probed. */
  scale?: number
  /** At most this many cases at once against the backend. */
  concurrency?: number
}

/** A round trip the suite's fixed patience takes in stride: beyond it, deadlines grow in proportion. */
export const REFERENCE_ROUND_TRIP_MS = 250
/** The largest scale the probe sets: beyond it a backend is broken more than slow. */
export const MAX_SCALE = 10
/** Concurrent round trips up to this need no limit; beyond, fewer cases run at once, in proportion. */
const SATURATED_MS = 500
/** Calls at once in the concurrent probe (the conformance config's maxConcurrency). */
export const PROBE_CONCURRENCY = 16
const SINGLE_ROUNDS = 5
/** The probe gives up after this long and takes the backend as slow as it allows. */
const PROBE_LIMIT_MS = 20_000

/** The timing of a backend as fast as the suite's constants assume: nothing scaled, nothing limited. */
export const UNSCALED: BackendTiming = { scale: 1, roundTripMs: 0, concurrency: Number.POSITIVE_INFINITY }

/** The q-quantile of `samples` (nearest rank). */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/**
 * Sizes the suite from measured round trips: the scale grows with the p90 under concurrency past the
 * reference round trip (in half steps, at most `MAX_SCALE`), and a backend whose p90 under
 * concurrency passes `SATURATED_MS` gets fewer cases at once, in proportion (at least 2).
 */
export function timingFromSamples(single: readonly number[], concurrent: readonly number[]): BackendTiming {
  const measured = {
    min: Math.round(Math.min(...single)),
    median: Math.round(quantile(single, 0.5)),
    p90: Math.round(quantile(single, 0.9)),
    concurrentP90: Math.round(quantile(concurrent, 0.9)),
  }
  const worst = Math.max(measured.p90, measured.concurrentP90)
  const scale = Math.min(MAX_SCALE, Math.max(1, Math.ceil((worst / REFERENCE_ROUND_TRIP_MS) * 2) / 2))
  const concurrency =
    worst <= SATURATED_MS
      ? Number.POSITIVE_INFINITY
      : Math.max(2, Math.round((PROBE_CONCURRENCY * SATURATED_MS) / worst))
  return { measured, scale, roundTripMs: worst, concurrency }
}

/** Applies what was set by hand (options, else the environment) over `timing`. */
export function withManualTiming(timing: BackendTiming, manual: TimingOptions = {}): BackendTiming {
  const scale = manual.scale ?? envNumber('ANYQUEUE_CONFORMANCE_SCALE')
  const concurrency = manual.concurrency ?? envNumber('ANYQUEUE_CONFORMANCE_CONCURRENCY')
  if (scale === undefined && concurrency === undefined) return timing
  return {
    ...timing,
    ...(scale === undefined ? {} : { scale: Math.max(1, scale) }),
    ...(concurrency === undefined ? {} : { concurrency: Math.max(1, Math.floor(concurrency)) }),
    note: 'set by hand',
  }
}

function envNumber(name: string): number | undefined {
  const value = process.env[name]
  if (value === undefined || value === '') return undefined
  const n = Number(value)
  if (!(n > 0)) throw new Error(`${name} must be a number > 0, got ${value}`)
  return n
}

/**
 * Measures `target`'s backend: creates a probe queue on its own store, makes a few send / receive
 * (waitSeconds 0) / ack round trips one at a time, then 16 at once, and deletes the queue. Never
 * throws: a probe that fails leaves the suite unscaled (the cases then say what is wrong); one that
 * takes longer than 20 s sizes the suite from what it saw by then.
 */
export async function probeBackend(
  target: ConformanceTarget,
  store: string,
  manual: TimingOptions = {},
): Promise<BackendTiming> {
  if ((manual.scale ?? envNumber('ANYQUEUE_CONFORMANCE_SCALE')) !== undefined) {
    return withManualTiming(UNSCALED, manual)
  }
  const single: number[] = []
  const concurrent: number[] = []
  let timer: NodeJS.Timeout | undefined
  // A probe cut short sizes the suite from what it saw; a call that never answered counts as the
  // whole wait.
  const limit = new Promise<BackendTiming>((resolve) => {
    timer = setTimeout(() => {
      const seen = timingFromSamples([...single, PROBE_LIMIT_MS], [...concurrent, PROBE_LIMIT_MS])
      resolve({ ...seen, note: `the probe was cut short after ${PROBE_LIMIT_MS / 1000} s` })
    }, PROBE_LIMIT_MS)
  })
  const measuring = measure(target, store, single, concurrent).catch(
    (error: unknown): BackendTiming => ({
      ...UNSCALED,
      note: `probe failed: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`,
    }),
  )
  try {
    return withManualTiming(await Promise.race([measuring, limit]), manual)
  } finally {
    clearTimeout(timer)
  }
}

async function measure(
  target: ConformanceTarget,
  store: string,
  single: number[],
  concurrent: number[],
): Promise<BackendTiming> {
  const client = new QueueClient(await target.open(store))
  const name = `aq-probe-${store}`.slice(0, 64)
  try {
    await client.createQueue(name)
    const queue = client.queue<string>(name)
    const timed = async <R>(samples: number[], call: () => Promise<R>): Promise<R> => {
      const started = performance.now()
      const result = await call()
      samples.push(performance.now() - started)
      return result
    }
    const roundTrip = async (samples: number[]) => {
      await timed(samples, () => queue.send('probe'))
      const got = await timed(samples, () => queue.receive({ maxMessages: 10, waitSeconds: 0 }))
      if (got.length > 0) await timed(samples, () => queue.ackBatch(got))
    }
    for (let i = 0; i < SINGLE_ROUNDS; i++) await roundTrip(single)
    await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, () => roundTrip(concurrent)))
    return timingFromSamples(single, concurrent)
  } finally {
    await client.deleteQueue(name).catch(() => {})
    await client.close().catch(() => {})
  }
}

/**
 * The report line of a target: `sqs: round trip 40–900 ms (p90 under 16 concurrent calls);
 * deadlines scaled ×3; at most 6 cases at once`.
 */
export function timingLine(name: string, timing: BackendTiming): string {
  const m = timing.measured
  const trip = m
    ? `round trip ${m.min}–${Math.max(m.p90, m.concurrentP90)} ms (p90 under ${PROBE_CONCURRENCY} concurrent calls)`
    : (timing.note ?? 'not measured')
  const scaled = timing.scale > 1 ? `deadlines scaled ×${timing.scale}` : 'deadlines as written'
  const limited = Number.isFinite(timing.concurrency)
    ? `at most ${timing.concurrency} cases at once`
    : 'cases not limited'
  const note = m && timing.note ? ` (${timing.note})` : ''
  return `${name}: ${trip}; ${scaled}; ${limited}${note}`
}

/** At most `size` holders at once; the others wait in order. */
export class Slots {
  #free: number
  readonly #waiting: Array<() => void> = []

  constructor(size: number) {
    this.#free = size
  }

  /** Runs `work` once a slot is free; the slot is given back when it settles. */
  async run<R>(work: () => Promise<R>): Promise<R> {
    if (this.#free > 0) this.#free--
    else await new Promise<void>((resolve) => this.#waiting.push(resolve))
    try {
      return await work()
    } finally {
      const next = this.#waiting.shift()
      if (next) next()
      else this.#free++
    }
  }
}
