export const DRIVER_NAME = 'servicebus'
/**
 * Application property carrying the attempts a message had before a nack with a delay rescheduled
 * it (Service Bus counts deliveries of the rescheduled copy from zero). `content-` names are the
 * drivers' own: the portable layer refuses them as user attributes.
 */
export const ATTEMPTS_PROPERTY = 'content-attempts-before'
/** Application property carrying the original enqueue time (epoch ms) of a rescheduled message. */
export const ENQUEUED_PROPERTY = 'content-enqueued-at'
/**
 * Application property addressing a message sent through a topic to one subscription only (a
 * delayed nack's copy, a redrive): every subscription's rule lets it through only to that one.
 */
export const SUBSCRIPTION_PROPERTY = 'content-subscription'
/** High enough that the portable consumer's `maxAttempts` decides when a message is dead. */
export const MAX_DELIVERY_COUNT = 2_000
