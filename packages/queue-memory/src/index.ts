export { type Clock, ManualClock, systemClock } from './clock.js'
export { DRIVER_NAME } from './constants.js'
export { createMemoryDriver, MemoryDriver } from './memory-driver.js'
export type { MemoryDriverOptions } from './memory-options.js'
