import assert from 'node:assert/strict'
import { DEAD_LETTER_BODY_ATTRIBUTES, type Message } from '@anyqueue/queue-core'
import type { Delivery, InstrumentedDriver } from './instrumented-driver.js'

/**
 * What at-least-once allows a slow backend, and what it does not. A lease can run out before the
 * consumer's ack or dead-letter send lands (the backend took longer than the lease to answer): the
 * message is then delivered again, and that delivery is handled again. The cases judge by what the
 * InstrumentedDriver saw delivered, so they excuse exactly what a lost lease explains — and nothing
 * a broken core does on a fast backend.
 */

/** The raw bytes of a body or a dead-letter copy, as one comparable key. */
const key = (bytes: Uint8Array | string) =>
  (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes)).toString('base64')

/** The original body a dead-letter copy carries (base64 when the original was not text). */
export function rawOfCopy(copy: Message<any>): Buffer {
  const payload = typeof copy.payload === 'string' ? copy.payload : JSON.stringify(copy.payload)
  return copy.attributes[DEAD_LETTER_BODY_ATTRIBUTES.encoding] === 'base64'
    ? Buffer.from(payload, 'base64')
    : Buffer.from(payload, 'utf8')
}

/** How many times each message of `queue` was delivered, by message id. */
export function deliveryCounts(driver: InstrumentedDriver, queue: string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const d of driver.deliveriesOf(queue)) counts.set(d.id, (counts.get(d.id) ?? 0) + 1)
  return counts
}

/**
 * Every message delivered from `source` whose body is among `bodies` (all delivered, when absent)
 * has at least one copy among `copies` and at most one per delivery — exactly one when it was
 * delivered once; no copy is of a message never delivered. Bodies must differ between messages;
 * a copy read more than once (same id) counts once.
 */
export function assertCopiesPerDelivery(
  driver: InstrumentedDriver,
  source: string,
  copies: readonly Message<any>[],
  bodies?: ReadonlyArray<string | Uint8Array>,
): void {
  const wanted = bodies && new Set(bodies.map(key))
  const deliveries = new Map<string, number>()
  for (const d of driver.deliveriesOf(source)) {
    const k = key(d.body)
    if (!wanted || wanted.has(k)) deliveries.set(k, (deliveries.get(k) ?? 0) + 1)
  }
  const perBody = new Map<string, number>()
  // A copy read twice (our own read lost its lease) is still one copy.
  for (const copy of new Map(copies.map((c) => [c.id, c])).values()) {
    const k = rawOfCopy(copy).toString('base64')
    assert.ok(
      deliveries.has(k),
      `a dead-letter copy (${copy.id}) of a message never delivered from ${source}`,
    )
    perBody.set(k, (perBody.get(k) ?? 0) + 1)
  }
  for (const [k, times] of deliveries) {
    const n = perBody.get(k) ?? 0
    const what = Buffer.from(k, 'base64').toString('utf8').slice(0, 40)
    assert.ok(n >= 1, `${JSON.stringify(what)} was dead-lettered, but no copy of it arrived`)
    assert.ok(
      n <= times,
      `${n} dead-letter copies of ${JSON.stringify(what)}, delivered ${times} time(s): one delivery was dead-lettered ${times === 1 ? 'more than once' : 'twice'}`,
    )
  }
}

/** `messages` without the repeats a lost lease of our own reads brings: one per id. */
export function distinct<M extends { id: string }>(messages: readonly M[]): M[] {
  return [...new Map(messages.map((m) => [m.id, m])).values()]
}

/**
 * Whether the lease of delivery `d` could have ended before `at` through no fault of the consumer.
 * The lease began after the receive that brought it was sent, and again after each renewal that
 * succeeded and was answered while the lease still certainly ran. Past that lease, only a slow
 * backend explains the loss: the driver cannot renew, or a renewal was sent in time and failed or was
 * answered too late. A consumer that never sent one is at fault, not the backend.
 */
function leaseCouldHaveEnded(
  driver: InstrumentedDriver,
  queue: string,
  d: Delivery,
  leaseMs: number,
  at: number,
): boolean {
  let from = d.at
  let attempted = false
  for (const call of driver.callsOf('renewLease', queue)) {
    if (call.handles[0] !== d.receiptHandle || call.at < from) continue
    if (call.at > from + leaseMs) break
    if (call.error === undefined && (call.settledAt ?? Number.POSITIVE_INFINITY) <= from + leaseMs) {
      from = call.at
      attempted = false
    } else {
      attempted = true
    }
  }
  return at > from + leaseMs && (!driver.capabilities.renewLease || attempted)
}

/**
 * The message ids of `queue` whose lease may have run out while a delivery was held: delivered
 * again, before anything settled (acked, nacked) the delivery before, later than that delivery's
 * lease could have ended — at-least-once on a slow backend, never a retry the consumer chose, nor a
 * renewal that did nothing.
 */
export function leaseRanOut(driver: InstrumentedDriver, queue: string, leaseMs: number): Set<string> {
  const settled = new Map<string, number>()
  for (const call of driver.calls) {
    if (call.queue !== queue || (call.method !== 'ackBatch' && call.method !== 'nack')) continue
    for (const handle of call.handles) if (!settled.has(handle)) settled.set(handle, call.at)
  }
  const ids = new Set<string>()
  const last = new Map<string, Delivery>()
  for (const d of driver.deliveriesOf(queue)) {
    const before = last.get(d.id)
    if (
      before !== undefined &&
      !((settled.get(before.receiptHandle) ?? Number.POSITIVE_INFINITY) <= d.returnedAt) &&
      leaseCouldHaveEnded(driver, queue, before, leaseMs, d.returnedAt)
    ) {
      ids.add(d.id)
    }
    last.set(d.id, d)
  }
  return ids
}

/**
 * The message ids of `queue` that may have lost a lease, which at-least-once allows: redelivered
 * while held once its lease could have ended (`leaseRanOut`), renewed in vain (`lostHandles`), or
 * acked only after the lease could have ended.
 */
export function mayHaveLostLease(driver: InstrumentedDriver, queue: string, leaseMs: number): Set<string> {
  const ids = leaseRanOut(driver, queue, leaseMs)
  const lost = driver.lostHandles(queue)
  const acked = new Map<string, number>()
  for (const call of driver.callsOf('ackBatch', queue)) {
    for (const handle of call.handles) acked.set(handle, call.settledAt ?? Number.POSITIVE_INFINITY)
  }
  for (const d of driver.deliveriesOf(queue)) {
    const late = leaseCouldHaveEnded(driver, queue, d, leaseMs, acked.get(d.receiptHandle) ?? 0)
    if (lost.has(d.receiptHandle) || late) ids.add(d.id)
  }
  return ids
}
