export { CONTENT_TYPE_ATTRIBUTE, DEAD_LETTER_SUFFIX, DRIVER_NAME, HANDLE_PREFIX } from './constants.js'
export { createPubSubDriver, PubSubDriver } from './pubsub-driver.js'
export { classifyPubSubError } from './pubsub-errors.js'
export type { PubSubDriverOptions } from './pubsub-options.js'
