import { conformanceSuite } from '../src/vitest.js'
import { SkeletonDriver } from './fixtures/skeleton-driver.js'

// The README's skeleton driver keeps every promise: the whole suite, skips only where it declares so.
conformanceSuite(
  { name: 'skeleton', open: () => new SkeletonDriver({ leaseSeconds: 2 }) },
  { leaseSeconds: 2 },
)
