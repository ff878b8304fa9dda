export const DRIVER_NAME = 'pubsub'
/** The message attribute that carries the payload's content type. */
export const CONTENT_TYPE_ATTRIBUTE = 'content-type'
/** Receipt handles are `ps1.` + Pub/Sub's ack id, so a stray string is caught before any I/O. */
export const HANDLE_PREFIX = 'ps1.'
/** Suffix of the dead-letter topic and subscription. `.` never occurs in a portable name. */
export const DEAD_LETTER_SUFFIX = '.dlq'
