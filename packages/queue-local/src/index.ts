export { DRIVER_NAME } from './constants.js'
export { createLocalDriver, LocalDriver } from './local-driver.js'
export type { LocalDriverOptions } from './local-options.js'
