export interface LocalDriverOptions {
  /** Folder of the LevelDB database; created if missing. One process at a time may open it. */
  location: string
  /**
   * How long a received message stays invisible to other receivers, in seconds. Default 30, the
   * portable lease; shorter values (down to 1) exist to keep tests fast.
   */
  leaseSeconds?: number
  /** Create a queue on first use instead of failing with `QUEUE_NOT_FOUND`. Default false. */
  createIfMissing?: boolean
  /**
   * Wait for the operating system to flush each send to disk before it resolves (LevelDB's `sync`).
   * Default true: a resolved send survives a power cut, not just a killed process. Receives, acks
   * and nacks are never synced: losing one in a crash only means an extra redelivery.
   */
  sync?: boolean
  /**
   * What a body without a content type — another producer's — arrives as: `'text'`, the text it
   * holds; `'json-or-text'`, the JSON value it holds when it parses as JSON, else that text.
   * Default `'text'`. anyqueue's own messages carry a content type and are never affected.
   */
  untypedBody?: 'text' | 'json-or-text'
}
