import type { Message, Payload, Queue } from '@anyqueue/queue-core'
import { expectNothingFor, sleep } from './helpers.js'

/**
 * Upper bounds on time, kept honest on a loaded machine. Load only ever makes things later, so a
 * bound is checked on the earliest of several samples: a driver passes when one sample keeps it, and
 * fails only when every sample breaks it — which a lease or delay twice as long as declared does.
 */

/**
 * How late past `ms` a timed event may be and still count as on time: 30 %, at least 1 s, plus the
 * backend's measured round trip (`roundTripMs`, see `BackendTiming`) — the time one call of the
 * backend can take to carry the event. The round trip's share never takes the bound past 1.5 × `ms`:
 * between that and twice `ms` lie the polls that see a lease or delay twice as long as declared
 * still hidden, however slow the backend. (A short `ms` keeps its 1 s floor and gets no more.)
 */
export function slackMs(ms: number, roundTripMs = 0): number {
  const base = Math.max(1_000, ms * 0.3)
  return base + Math.min(Math.max(0, roundTripMs), Math.max(0, ms * 0.5 - base))
}

/** A bound: `ms` plus its slack. */
export function bound(ms: number, roundTripMs = 0): number {
  return ms + slackMs(ms, roundTripMs)
}

/**
 * A sample that proves nothing either way: the machine or backend was too slow for the precondition
 * it needs (a renewal landing within the lease it renews). It is taken again, and does not count.
 */
export interface Inconclusive {
  inconclusive: string
}

/**
 * Thrown by `earliestOf` when every sample was inconclusive: the backend (or the machine) was too
 * slow for the precondition the case needs, so the case proves nothing either way. The runner
 * reports it as skipped with this reason — never as a failure of a correct driver.
 */
export class Unjudgeable extends Error {
  override name = 'Unjudgeable'
}

/** How many samples in all `earliestOf` takes, counting inconclusive ones, per sample it needs. */
const INCONCLUSIVE_RETRIES = 3

/**
 * Runs `sample` up to `tries` times; resolves on the first that returns nothing, else fails with every
 * observation, so the message says what was seen, not only that it was wrong. An inconclusive sample
 * is taken again (up to three times as many samples in all); when no sample was conclusive, it
 * throws `Unjudgeable`, which the runner reports as a skip saying why.
 */
export async function earliestOf(
  tries: number,
  sample: (n: number) => Promise<string | Inconclusive | undefined>,
): Promise<void> {
  const observed: string[] = []
  const inconclusive: string[] = []
  for (let n = 0; observed.length < tries && n < tries * INCONCLUSIVE_RETRIES; n++) {
    const broken = await sample(n)
    if (broken === undefined) return
    if (typeof broken === 'string') observed.push(broken)
    else inconclusive.push(broken.inconclusive)
  }
  if (observed.length === 0) {
    throw new Unjudgeable(
      `too slow here to judge: no sample could be judged in ${inconclusive.length} tries: ${inconclusive.join('; ')}`,
    )
  }
  throw new Error(`${observed[0]} (every one of ${observed.length} samples: ${observed.join('; ')})`)
}

/** A first arrival: what came, when the poll that brought it returned, and until when it was hidden. */
export interface Arrival<T extends Payload> {
  messages: Message<T>[]
  /** When the receive that brought it returned: it was visible by then (for lower bounds on time). */
  at: number
  /**
   * When the last poll that came back empty was sent (else when the watch began): the backend saw
   * it still hidden after this moment. Upper bounds on time use it, so a slow answer from a loaded
   * backend or event loop is never taken for a late message — only a message seen hidden past the
   * bound is late.
   */
  hiddenAt: number
}

/**
 * Polls `queue` with short long polls until a message arrives or `ms` pass: returns it with the time it
 * was seen, precise to about a quarter second. Does not ack.
 */
export async function firstArrival<T extends Payload>(
  queue: Queue<T>,
  ms: number,
  maxMessages = 1,
): Promise<Arrival<T> | undefined> {
  const end = Date.now() + ms
  let hiddenAt = Date.now()
  for (;;) {
    const remaining = end - Date.now()
    if (remaining <= 0) return undefined
    const polledAt = Date.now()
    const got = await queue.receive({ maxMessages, waitSeconds: Math.min(0.25, remaining / 1000) })
    if (got.length > 0) return { messages: got, at: Date.now(), hiddenAt }
    hiddenAt = polledAt
    // A backend that cannot wait a fraction of a second answers at once: do not spin on it.
    if (Date.now() - polledAt < 100) await sleep(100)
  }
}

/**
 * Asserts `queue` hands out nothing until `hiddenUntil` (epoch ms), then waits up to `ms` for the first
 * arrival: for a message that must stay hidden for a while (a delay, a lease) and then come back.
 */
export async function hiddenThenBack<T extends Payload>(
  queue: Queue<T>,
  hiddenUntil: number,
  why: string,
  ms: number,
): Promise<Arrival<T> | undefined> {
  const watching = Date.now()
  const late = await expectNothingFor(queue, hiddenUntil - Date.now(), why)
  return late.length > 0 ? { messages: late, at: Date.now(), hiddenAt: watching } : firstArrival(queue, ms)
}
