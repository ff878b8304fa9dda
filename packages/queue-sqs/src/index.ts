export { CONTENT_TYPE_ATTRIBUTE, DRIVER_NAME, TRANSFER_ENCODING_ATTRIBUTE } from './constants.js'
export { createSqsDriver, SqsDriver } from './sqs-driver.js'
export { classifySqsError } from './sqs-errors.js'
export type { SqsDriverOptions } from './sqs-options.js'
