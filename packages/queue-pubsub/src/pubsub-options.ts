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
}
