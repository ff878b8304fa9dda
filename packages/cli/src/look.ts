import { countMessages, type PeekedMessage, type Queue, type QueueStats } from '@anyqueue/queue-core'
import { RefusedError } from './exit-codes.js'
import { type Output, shown } from './output.js'

/**
 * `count` and `peek` look without changing anything where the driver can (`stats()`, `peek()`);
 * where it cannot, `count` falls back to counting by receiving (and says so) and `peek` refuses
 * unless `--lease` asks for a look that counts as a delivery.
 */

const LABELS: ReadonlyArray<[keyof QueueStats, string]> = [
  ['visible', 'visible'],
  ['inFlight', 'in flight'],
  ['active', 'active (visible or in flight)'],
  ['delayed', 'delayed'],
  ['deadLetters', 'dead-lettered'],
]

/** The counts of `queue`, from `stats()`; `undefined` when the driver keeps none. */
export async function readCounts(queue: Queue): Promise<QueueStats | undefined> {
  return queue.capabilities.stats ? queue.stats() : undefined
}

/** The number a total (a progress bar's) starts from: visible, or active where that is all there is. */
export async function visibleCount(queue: Queue): Promise<number> {
  const stats = await readCounts(queue)
  if (stats === undefined) return countMessages(queue)
  return stats.visible ?? stats.active ?? 0
}

/** `count`: what each number counts, `~` before an approximate one. */
export async function printCount(out: Output, queue: Queue): Promise<void> {
  const declared = queue.capabilities.stats
  const stats = await readCounts(queue)
  if (stats === undefined || !declared) {
    const n = await countMessages(queue)
    out.result(
      `${n} visible (counted by receiving: the ${queue.client.driver.name} driver keeps no counts; each visible message was leased for a moment and counts as a delivery; in-flight and delayed messages are not counted)`,
      { queue: queue.name, count: n, visible: n, countedByReceiving: true },
    )
    return
  }
  const shown = LABELS.filter(
    ([field]) => stats[field] !== undefined && !(field === 'active' && stats.visible !== undefined),
  )
  const human = shown
    .map(
      ([field, label]) =>
        `${declared[field as keyof typeof declared] === 'approximate' ? '~' : ''}${stats[field]} ${label}`,
    )
    .join(', ')
  const age =
    stats.oldestAgeSeconds === undefined ? '' : `; oldest ${Math.round(stats.oldestAgeSeconds)} s old`
  const count = stats.visible ?? stats.active ?? 0
  out.result(`${human}${age}`, { queue: queue.name, count, ...stats })
}

/** `peek`: a lock-free look where the driver has one; else a leasing look only when asked for. */
export async function printPeek(
  out: Output,
  queue: Queue,
  max: number,
  lease: boolean,
  leasingLook: () => Promise<void>,
): Promise<void> {
  const { capabilities } = queue
  const { driver } = queue.client
  if (!capabilities.peek) {
    if (!lease) {
      throw new RefusedError(
        `the ${driver.name} driver can only show a message by receiving it, and each such look counts as a delivery ` +
          `(its attempt grows, toward maxAttempts and the backend's own delivery limit): add --lease to look that way anyway`,
      )
    }
    return leasingLook()
  }
  const seen = await queue.peek({ maxMessages: Math.min(max, 100) })
  for (const m of seen) printPeeked(out, m)
  if (!out.json && seen.length === 0) out.result('(no messages)', null)
}

function printPeeked(out: Output, m: PeekedMessage<unknown>): void {
  const { value, attributes, payload } = shown(m, { id: m.id, state: m.state, deliveries: m.deliveries })
  const deliveries = `${m.deliveries} ${m.deliveries === 1 ? 'delivery' : 'deliveries'}`
  out.result(
    `${m.id}  ${m.state}  ${deliveries}  ${value.enqueuedAt}${attributes ? `  ${attributes}` : ''}\n  ${payload}`,
    value,
  )
}

/** What `purge` left: the in-flight and delayed messages it does not delete, where counted. */
export async function leftAfterPurge(queue: Queue): Promise<{ inFlight?: number; delayed?: number }> {
  const stats = await readCounts(queue)
  if (stats === undefined) return {}
  return {
    ...(stats.inFlight !== undefined && { inFlight: stats.inFlight }),
    ...(stats.delayed !== undefined && { delayed: stats.delayed }),
  }
}
