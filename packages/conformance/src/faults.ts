import assert from 'node:assert/strict'
import { isQueueError, type Queue, type QueueError } from '@anyqueue/queue-core'
import type { FaultProxy } from './backends/proxy.js'
import { sleep } from './helpers.js'

export interface OutageReport {
  /** Ids of sends that resolved: every one must be delivered after the outage. */
  sent: string[]
  /** Errors of calls made while the backend was unreachable. */
  duringOutage: QueueError[]
  /** Distinct ids received after the backend came back. */
  received: Set<string>
}

/**
 * The backend goes away in the middle of a send / receive / ack run and comes back. Calls made
 * while it is away must fail with a retryable `UNAVAILABLE` (after the portable layer's retries);
 * every send that resolved — before, during or after — must be delivered afterwards. `queue` must
 * reach the backend through `proxy`; give its client short retries.
 */
export async function outageScenario(
  queue: Queue<any>,
  proxy: FaultProxy,
  options: { messages?: number; outageMs?: number; drainMs?: number } = {},
): Promise<OutageReport> {
  const total = options.messages ?? 60
  const sent: string[] = []
  const duringOutage: QueueError[] = []
  const received = new Set<string>()
  const expectUnavailable = (error: unknown) => {
    if (!isQueueError(error)) throw error
    duringOutage.push(error)
  }
  for (let n = 0; n < total; n++) {
    if (n === Math.floor(total / 3)) {
      // A receive and an ack in flight when the connection drops, then the outage itself.
      const leased = await queue.receive({ maxMessages: 5, waitSeconds: 0 })
      proxy.cut()
      await queue.ackBatch(leased).catch(expectUnavailable)
      const outageEnds = Date.now() + (options.outageMs ?? 2_000)
      while (Date.now() < outageEnds) {
        await queue.send({ n: -1 }).then((r) => sent.push(r.id), expectUnavailable)
        await queue.receive({ maxMessages: 10, waitSeconds: 0 }).catch(expectUnavailable)
        await sleep(100)
      }
      proxy.restore()
    }
    const result = await queue.send({ n }).catch((error: unknown) => {
      expectUnavailable(error)
      return undefined
    })
    if (result) sent.push(result.id)
  }
  const deadline = Date.now() + (options.drainMs ?? 60_000)
  const missing = () => sent.some((id) => !received.has(id))
  while (missing() && Date.now() < deadline) {
    const got = await queue.receive({ maxMessages: 10, waitSeconds: 1 })
    for (const m of got) received.add(m.id)
    await queue.ackBatch(got)
  }
  return { sent, duringOutage, received }
}

/** The assertions every driver's outage test makes on the report. */
export function assertOutageReport(report: OutageReport): void {
  assert.ok(report.duringOutage.length > 0, 'no call failed while the backend was away: was it really cut?')
  for (const error of report.duringOutage) {
    assert.equal(
      error.code,
      'UNAVAILABLE',
      `a call during the outage failed with ${error.code}: ${error.message}`,
    )
    assert.equal(error.retryable, true, 'UNAVAILABLE during an outage must be retryable')
  }
  const lost = report.sent.filter((id) => !report.received.has(id))
  assert.deepEqual(lost, [], `${lost.length} of ${report.sent.length} resolved sends were never delivered`)
}
