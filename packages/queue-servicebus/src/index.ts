export { ATTEMPTS_PROPERTY, DRIVER_NAME, ENQUEUED_PROPERTY } from './constants.js'
export { createServiceBusDriver, ServiceBusDriver } from './servicebus-driver.js'
export { classifyServiceBusError } from './servicebus-errors.js'
export type { ServiceBusDriverOptions, ServiceBusQueueAdmin } from './servicebus-options.js'
