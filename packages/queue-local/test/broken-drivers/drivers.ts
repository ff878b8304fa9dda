/**
 * The table of broken drivers: each the real local driver with exactly one promise broken, and the
 * cases that state that promise. Grouped by area, one file each.
 */
import { ackDrivers } from './acks.js'
import { attemptDrivers } from './attempts.js'
import { batchDrivers } from './batches.js'
import { filterDrivers } from './filters.js'
import { inspectDrivers } from './inspect.js'
import { listingDrivers } from './listing.js'
import { messageDrivers } from './messages.js'
import { queueDrivers } from './queues.js'
import { timingDrivers } from './timing.js'
import { topicNameDrivers } from './topic-names.js'
import type { BrokenDriver } from './wrap.js'

export { backendErrorCases, backendErrorsControl } from './queues.js'
export { type BrokenDriver, broken, prove, root } from './wrap.js'

export const brokenDrivers: BrokenDriver[] = [
  ...messageDrivers,
  ...timingDrivers,
  ...ackDrivers,
  ...queueDrivers,
  ...listingDrivers,
  ...attemptDrivers,
  ...filterDrivers,
  ...batchDrivers,
  ...topicNameDrivers,
  ...inspectDrivers,
]

const names = new Set<string>()
for (const { name } of brokenDrivers) {
  if (names.has(name)) throw new Error(`two broken drivers are named ${name}`)
  names.add(name)
}
