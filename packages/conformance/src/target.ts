import type { QueueDriver } from '@anyqueue/queue-core/driver'

/** What the suite needs to test a driver: a way to open it. */
export interface ConformanceTarget {
  /** Shown in reports: `local`, `sqs (moto_server 5.2.1 on 127.0.0.1:41233)`, … */
  name: string
  /**
   * Opens a driver. Each case passes its own `store` key; opening the same key again (after the
   * first driver was closed) must reach the same messages — that is how persistence is tested.
   * Drivers over a shared server may ignore the key: every case uses queues with unique names.
   * The driver must not create queues on first use (`QUEUE_NOT_FOUND` is tested); the suite
   * creates the queues it uses with `createQueue`.
   */
  open(store: string): QueueDriver | Promise<QueueDriver>
  /** How many messages the load case sends. Default 1,000. */
  loadMessages?: number
  /** How many generated entries the property case sends. Default 200; cheap drivers can afford 2,000. */
  propertyRuns?: number
  /**
   * How many messages the topic load case publishes (to 3 subscriptions). Default 1,000; lower it
   * only for a backend that is slow at fan-out, and say so in the test file.
   */
  topicLoadMessages?: number
  /**
   * How a child process opens this same target, for the cases that kill a process: a module whose
   * default export is a ConformanceTarget, and environment variables it needs. Without it, those
   * cases are skipped.
   */
  process?: { module: string; env?: Record<string, string> }
  /**
   * Puts a message on `queue` the way another producer would — the backend's own SDK, not anyqueue
   * — so the foreign-message cases can check what arrives. `driver` is the case's open driver, for
   * backends whose only producer is the driver itself (local). Without it, those cases are skipped.
   */
  sendForeign?(queue: string, message: ForeignMessage, driver: QueueDriver): Promise<void>
  /**
   * The backend can carry a body that is not UTF-8 text (Pub/Sub data, Service Bus data sections,
   * SQS under `content-transfer-encoding: base64`). False or absent: `sendForeign` is only given text.
   */
  foreignBytes?: boolean
}

/** A message as another producer sends it: raw bytes or text, and only what it chose to set. */
export interface ForeignMessage {
  body: Uint8Array | string
  /** The backend's content-type attribute or property; absent: none at all. */
  contentType?: string
  /** The backend's own string attributes, names exactly as given. */
  attributes?: Record<string, string>
}
