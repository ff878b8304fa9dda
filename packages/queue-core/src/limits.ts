/** The portable limits every driver honours. Changing one is a breaking change. */
export const LIMITS = Object.freeze({
  /** Largest encoded payload, in UTF-8 bytes of the text or of the JSON serialisation. */
  maxPayloadBytes: 65_536,
  /**
   * Deepest nesting of a JSON payload: arrays and objects inside one another, the outermost at
   * depth 1. Deeper payloads are `INVALID_PAYLOAD`; many JSON parsers stop near here too.
   */
  maxPayloadDepth: 64,
  /** Most messages in one `sendBatch`, `receive` or `ackBatch`. */
  maxBatch: 10,
  /** Longest long poll a `receive` may ask for. */
  maxWaitSeconds: 20,
  /** Most messages one `peek` shows. */
  maxPeek: 100,
  /** Longest `nack` delay (SQS's visibility ceiling, twelve hours). */
  maxNackDelaySeconds: 43_200,
  /** Most application attributes per message (SQS allows 10; two are the drivers' own). */
  maxAttributes: 8,
  /** Largest attribute value, in UTF-8 bytes. */
  maxAttributeValueBytes: 1_024,
  /** The lease every driver uses unless a shorter one is configured for tests. */
  defaultLeaseSeconds: 30,
})

/** Portable queue names: 1 to 64 characters of letters, digits, `_` and `-`. */
export const QUEUE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/**
 * Attribute names: a letter, then letters, digits, `_` or `-`, 64 at most — what SQS, Pub/Sub and
 * Service Bus all accept. Names starting with a backend's reserved prefix (`aws`, `amazon`, `goog`,
 * `x-opt-`) or with `content-` (the drivers' own) are refused.
 */
export const ATTRIBUTE_NAME_PATTERN = /^(?!(?:aws|amazon|goog|x-opt-|content-))[A-Za-z][A-Za-z0-9_-]{0,63}$/i
