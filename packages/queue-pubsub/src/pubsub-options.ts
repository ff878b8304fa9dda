import type { ClientConfig, PubSub } from '@google-cloud/pubsub'

export interface PubSubDriverOptions {
  /**
   * Your own `PubSub` client; the driver builds its low-level publisher and subscriber from its
   * configuration (project, endpoint, credentials, emulator). Closing the driver leaves it open.
   */
  pubsub?: PubSub
  /**
   * Configuration for the `PubSub` client the driver builds when `pubsub` is not given. With
   * `PUBSUB_EMULATOR_HOST` set, the client talks to the emulator.
   */
  clientConfig?: ClientConfig
  /**
   * Ack deadline of received messages, in seconds: 10 to 600 (Pub/Sub's bounds). Default 30.
   * Subscriptions the driver creates get it as their `ackDeadlineSeconds`.
   */
  leaseSeconds?: number
  /** Create the topic and subscription on first use instead of failing with `QUEUE_NOT_FOUND`. */
  createIfMissing?: boolean
  /**
   * Prepended to every portable name to make the topic and subscription names. Must start with a
   * letter (not `goog`), at most 24 characters of `A-Za-z0-9_-`. Default `aq-`.
   */
  prefix?: string
  /**
   * Deliveries before Pub/Sub moves a message to the dead-letter topic of subscriptions the driver
   * creates (5 to 100). Default 100. The policy also makes Pub/Sub report `deliveryAttempt`.
   */
  maxDeliveryAttempts?: number
  /**
   * What a body without a content type — another producer's — arrives as: `'text'`, the text it
   * holds; `'json-or-text'`, the JSON value it holds when it parses as JSON, else that text.
   * Default `'json-or-text'`, so `publishMessage({ json })`, which marks nothing, arrives as the value it
   * published; choose `'text'` when other producers send plain text that may happen to parse as JSON. anyqueue's own messages carry a content type and are never affected.
   */
  untypedBody?: 'text' | 'json-or-text'
  /**
   * `consume()` receives on a StreamingPull stream (Pub/Sub's recommended path for throughput):
   * default `true`. `false` keeps it on unary `Pull`, as `receive()` always is.
   */
  streamingPull?: boolean
}
