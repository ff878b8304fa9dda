import { sendThroughDriver } from '@anyqueue/conformance'
import { conformanceSuite } from '@anyqueue/conformance/vitest'
import { createMemoryDriver } from '../src/index.js'

// No `process` module: a child process cannot reach this process's memory, so the kill cases skip;
// the persistence case skips on `persistent: false`.
conformanceSuite(
  { name: 'memory', open: () => createMemoryDriver({ leaseSeconds: 2 }), sendForeign: sendThroughDriver },
  { leaseSeconds: 2 },
)
