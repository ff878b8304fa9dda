import { sendThroughDriver } from '../src/foreign-producer.js'
import { conformanceSuite } from '../src/vitest.js'
import { SkeletonDriver } from './fixtures/skeleton-driver.js'

// The README's skeleton driver keeps every promise: the whole suite, skips only where it declares so.
// Its only producer is itself, so the foreign cases write through the driver.
conformanceSuite(
  { name: 'skeleton', open: () => new SkeletonDriver({ leaseSeconds: 2 }), sendForeign: sendThroughDriver },
  { leaseSeconds: 2 },
)
