export const DRIVER_NAME = 'sqs'
/** The message attribute that carries the payload's content type. */
export const CONTENT_TYPE_ATTRIBUTE = 'content-type'
/** Set to `base64` when the body had characters SQS cannot carry (see `sqs-body.ts`). */
export const TRANSFER_ENCODING_ATTRIBUTE = 'content-transfer-encoding'
