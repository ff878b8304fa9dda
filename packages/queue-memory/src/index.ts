export { type Clock, ManualClock, systemClock } from './clock.js'
export { DRIVER_NAME } from './constants.js'
export { createMemoryDriver, MemoryDriver } from './memory-driver.js'
export type { MemoryDriverOptions } from './memory-options.js'

// `openQueueClient('memory:')`: a fresh, empty set of queues on every open.
import { registerScheme } from '@anyqueue/queue-core/driver'
import { createMemoryDriver as openMemory } from './memory-driver.js'

registerScheme('memory', (_url, params) => openMemory(params.commonOptions()))
