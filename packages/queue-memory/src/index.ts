// The manual clock lives in queue-core (`/testing`), so core's own tests and other drivers share it.
export { ManualClock } from '@anyqueue/queue-core/testing'
export { type Clock, systemClock } from './clock.js'
export { DRIVER_NAME } from './constants.js'
export { createMemoryDriver, MemoryDriver } from './memory-driver.js'
export type { MemoryDriverOptions } from './memory-options.js'

// `openQueueClient('memory:')`: a fresh, empty set of queues on every open.
import { registerScheme } from '@anyqueue/queue-core/driver'
import { createMemoryDriver as openMemory } from './memory-driver.js'

registerScheme('memory', (_url, params) => openMemory(params.commonOptions()))
