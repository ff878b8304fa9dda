/** The portable limits every driver honours. Changing one is a breaking change. */
export const LIMITS = Object.freeze({
  /** Largest encoded payload, in UTF-8 bytes of the text or of the JSON serialisation. */
  maxPayloadBytes: 65_536,
  /** Most messages in one `sendBatch`, `receive` or `ackBatch`. */
  maxBatch: 10,
  /** Longest long poll a `receive` may ask for. */
  maxWaitSeconds: 20,
  /** Longest `nack` delay (SQS's visibility ceiling, twelve hours). */
  maxNackDelaySeconds: 43_200,
  /** The lease every driver uses unless a shorter one is configured for tests. */
  defaultLeaseSeconds: 30,
})

/** Portable queue names: 1 to 64 characters of letters, digits, `_` and `-`. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/
