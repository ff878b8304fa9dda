/**
 * The driver contract: what an adapter implements. Application code never sees these types; it
 * uses `QueueClient` and `Queue`. The portable layer validates, encodes, batches and retries once,
 * so a driver receives clean input and does none of that itself.
 *
 * Types only, importing nothing but types, at the bottom of the import graph: a driver author reads
 * the contract without the portable layer, and `@anyqueue/queue-core/driver` loads none of it.
 */
import type { QueueError } from './errors.js'

/**
 * What a driver can do. Every field is explicit; the conformance suite gates its cases on these
 * values alone, and they never change over a driver's lifetime.
 */
export interface Capabilities {
  /** Messages survive a restart of the process (and, for servers, of the backend). */
  persistent: boolean
  /** Messages are delivered in the order they were sent. */
  fifo: boolean
  /** Longest `delaySeconds` a send may ask for; 0 when delayed send is not supported. */
  delay: number
  /** Longest `delaySeconds` a `nack` may ask for; 0 when a nack can only release at once. */
  nackDelay: number
  /** `renewLease` is supported. */
  renewLease: boolean
  /** The backend can move poisoned messages to a dead-letter queue natively. */
  deadLetter: boolean
  /** Most messages per driver batch call (at most 10). */
  maxBatch: number
  /** Shortest lease the backend allows, in seconds. */
  minLeaseSeconds: number
  /**
   * What `ackBatch`, `nack` and `renewLease` do with a stale handle — one from a delivery whose lease
   * expired, the message since redelivered: `'ignored'`, nothing at all (the current holder keeps its
   * lease and the message); `'may-act'`, they may still act on the message the handle named (SQS
   * deletes it). Either way a stale handle never throws and never touches another message.
   */
  staleHandles: 'ignored' | 'may-act'
  /**
   * What a body with no content type — another producer's — arrives as: `'text'`, always the text it
   * holds; `'json-or-text'`, the JSON value it holds when it parses as JSON, else that text (the
   * convention of SDKs that JSON-encode what they send without marking it, as the Service Bus SDK's
   * default body and Pub/Sub's `publishMessage({ json })` do). anyqueue's own messages always carry
   * a content type, so this never changes what an anyqueue producer sent.
   */
  untypedBody: 'text' | 'json-or-text'
  /**
   * Topics and subscriptions (the conformance README's "Topics" section): the filter operators the
   * driver expresses natively, or `false` when it has no topics. A driver that declares them has a
   * `QueueDriver.topics` object, and one that does not has none: `QueueClient` checks both together.
   */
  topics: TopicCapabilities | false
  /**
   * `stats()`: the counts the driver reads from the backend's own counters — never by receiving —
   * each `'exact'` (true of the moment the call was answered) or `'approximate'` (the backend's
   * estimate, which converges on the truth once the queue is left alone); a field left out is one
   * the backend does not keep. `false` when the backend keeps no counts a driver can read.
   */
  stats: StatsCapabilities | false
  /**
   * `peek()`: the driver shows the messages a queue holds without a lease — the look changes no
   * attempt count, lease, order or visibility. `false` where the backend can only look by receiving.
   */
  peek: boolean
}

/** How far a `QueueStats` count can be trusted: see `Capabilities.stats`. */
export type Exactness = 'exact' | 'approximate'

/** The fields of `QueueStats` a driver can fill. */
export type StatsField = 'visible' | 'inFlight' | 'active' | 'delayed' | 'deadLetters' | 'oldestAgeSeconds'

/** `Capabilities.stats`: each field the driver fills, with how exact it is. */
export type StatsCapabilities = Readonly<Partial<Record<StatsField, Exactness>>>

/**
 * A queue's (or a subscription's) counts, as the backend keeps them. Only the fields the driver
 * declares in `capabilities.stats` are present.
 */
export interface QueueStats {
  /** Messages a receive could take now. */
  visible?: number
  /** Messages under a lease: received, neither acked, nacked nor expired yet. */
  inFlight?: number
  /**
   * `visible + inFlight`: every message neither delayed nor gone. Some backends (Service Bus) count
   * only this, not its two parts; a driver that fills both parts fills this too.
   */
  active?: number
  /** Messages not visible yet: a delayed send, or a nack with a delay, not yet due. */
  delayed?: number
  /** Messages in the backend's own dead-letter queue of this one (Service Bus `$DeadLetterQueue`). */
  deadLetters?: number
  /**
   * Seconds since the oldest message still in the queue (visible, in flight or delayed) was sent; 0
   * for an empty queue.
   */
  oldestAgeSeconds?: number
}

/** What the portable layer asks `peek()` for. */
export interface PeekRequest {
  /** 1 to `LIMITS.maxPeek`. */
  maxMessages: number
}

/**
 * Where a peeked message stands: `'visible'`, a receive could take it now; `'inFlight'`, under a
 * lease; `'delayed'`, not due yet; `'active'`, visible or in flight where the backend does not tell
 * the two apart (a Service Bus peek does not show locks).
 */
export type PeekedState = 'visible' | 'inFlight' | 'delayed' | 'active'

/** A message as `peek()` shows it: as received, less the receipt handle, which a look never grants. */
export interface PeekedIncomingMessage extends Omit<IncomingMessage, 'receiptHandle' | 'attempt'> {
  /** Deliveries so far: 0 for a message never received; the next receive's `attempt` is this + 1. */
  deliveries: number
  state: PeekedState
}

/** A message as the portable layer hands it to `sendBatch`: validated and encoded. */
export interface OutgoingMessage {
  /** Plain text or JSON text; never larger than `LIMITS.maxPayloadBytes` UTF-8 bytes. */
  body: string
  /**
   * `CONTENT_TYPE_TEXT` or `CONTENT_TYPE_JSON`; store it beside the body, as an attribute. Undefined
   * only when a test plays another producer that sets none: then store no attribute at all.
   */
  contentType: string | undefined
  /** UTF-8 size of `body`, already computed. */
  bytes: number
  /** Whole seconds, within `capabilities.delay`. */
  delaySeconds: number
  /** Validated application attributes (see `LIMITS.maxAttributes`); store them as the backend's own. */
  attributes: Readonly<Record<string, string>>
}

/** One result per message, in order: the backend's id, or the error for that message alone. */
export type SendResult = { id: string } | { error: unknown }

/** A message as a driver returns it from `receiveBatch`. */
export interface IncomingMessage {
  id: string
  /**
   * Text as a string; bytes the backend gave that are not known to be text as a `Uint8Array` (the
   * portable layer decodes them as strict UTF-8, so a malformed body is reported, never altered).
   * A typed native body (a Service Bus value section) is handed up as JSON text, with
   * `CONTENT_TYPE_JSON`, wherever JSON can hold it.
   */
  body: string | Uint8Array
  /**
   * Why the body could not be handed up faithfully (e.g. `holds a Date, which JSON cannot hold`),
   * completing "the body of message <id> …"; `body` then holds the raw bytes or text as received.
   * The message is still delivered, as undecodable (see `Message.decodeError`).
   */
  undecodable?: string
  /** The content-type attribute, or undefined when the producer set none (see `Capabilities.untypedBody`). */
  contentType: string | undefined
  /** Opaque to callers; must satisfy the driver's `isReceiptHandle`. */
  receiptHandle: string
  /** 1 on first delivery, +1 on each redelivery. */
  attempt: number
  enqueuedAt: Date
  /** The application attributes sent with the message, without the driver's own (content type …). */
  attributes: Record<string, string>
}

export interface ReceiveRequest {
  /** 1 to `capabilities.maxBatch`. */
  maxMessages: number
  /** Long poll: wait up to this long (0 to `LIMITS.maxWaitSeconds`, may be fractional) for the first. */
  waitSeconds: number
  /** Aborted when the portable queue is closing; a driver may return early with what it has. */
  signal?: AbortSignal
}

/**
 * A time source with timers. A driver that keeps its own time (the in-memory driver's
 * `ManualClock`) exposes it as `QueueDriver.clock`, and `consume()` then sets its own timers on it.
 */
export interface Clock {
  /** Milliseconds; only differences are used. */
  now(): number
  /** Calls `callback` once, `ms` from now on this clock. */
  setTimeout(callback: () => void, ms: number): unknown
  /** Cancels a timer from `setTimeout`; unknown or fired timers are ignored. */
  clearTimeout(timer: unknown): void
}

export interface QueueDriver {
  /** Short, stable name used in errors and reports: `local`, `sqs`, `pubsub`, `servicebus`. */
  readonly name: string
  readonly capabilities: Capabilities
  /** The lease this driver grants on receive, in seconds (30 unless configured shorter for tests). */
  readonly leaseSeconds: number
  /**
   * Optional: the clock the driver's own time runs on, when it is not the real one. `consume()`
   * keeps its lease renewals, handler time limits and pauses on it, so a test driving a manual
   * clock runs retries and backoff without waiting. Leave it out for a real backend.
   */
  readonly clock?: Clock
  /**
   * Topics and subscriptions, present exactly when `capabilities.topics` is not `false`. A
   * subscription is consumed through the queue methods below, with its address as the queue name.
   */
  readonly topics?: TopicDriver

  /** Creates the queue if it does not exist; resolves when it is usable. Idempotent. */
  createQueue(queue: string): Promise<void>
  /** Deletes the queue and its messages. A missing queue is a no-op. */
  deleteQueue(queue: string): Promise<void>
  /**
   * Optional: the portable names of the queues that exist, sorted, for tools (the CLI's `queues`).
   * A driver whose backend cannot list, or holds other things beside this driver's queues, leaves
   * it out.
   */
  listQueues?(): Promise<string[]>

  /**
   * Present exactly when `capabilities.stats` is not `false`: the queue's counts, read from the
   * backend without receiving (a subscription's by its address). A missing queue is
   * `QUEUE_NOT_FOUND`.
   */
  stats?(queue: string): Promise<QueueStats>
  /**
   * Present exactly when `capabilities.peek`: up to `request.maxMessages` of the messages the queue
   * holds (visible, in flight or delayed), oldest first (in sent order on a FIFO driver), without a
   * lease and changing nothing about them. A missing queue is `QUEUE_NOT_FOUND`.
   */
  peek?(queue: string, request: PeekRequest): Promise<PeekedIncomingMessage[]>

  /** Resolves once every message is accepted (durably) or has its own error. */
  sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]>
  receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]>
  /** Deletes for good. A handle already acked, or whose lease expired, is a silent no-op. */
  ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void>
  /** Ends the lease now; the message is visible again after `delaySeconds`. Gone messages: no-op. */
  nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void>
  /** Restarts the lease from now. Gone messages: no-op. */
  renewLease(queue: string, receiptHandle: string): Promise<void>

  /** A cheap, local check that a string could be one of this driver's receipt handles. */
  isReceiptHandle(receiptHandle: string): boolean
  /**
   * Maps a backend error to a `QueueError` (with `retryable` set honestly). Return undefined for
   * errors that are bugs rather than backend conditions; those are rethrown unchanged.
   */
  classifyError(error: unknown): QueueError | undefined
  /** Releases connections and handles. Called once, after every in-flight call settled. */
  close(): Promise<void>
}

/** Topics and subscriptions (the conformance README's "Topics" section). A subscription is consumed
 * exactly like a queue: the portable layer calls the driver's queue methods (`receiveBatch`,
 * `ackBatch`, `nack`, …) with the subscription's *address*, `topic/subscription`. The `/` never
 * occurs in a queue name, so a driver tells a subscription from a queue without ambiguity, and maps
 * the pair to its backend name. */
export interface TopicCapabilities {
  /** The portable filter operators the driver expresses natively; any other is `NOT_SUPPORTED`. */
  readonly filters: readonly FilterOperator[]
}

/**
 * `QueueDriver.topics`: what a driver that declares `capabilities.topics` implements beside its queue
 * methods, as one object (a driver usually keeps its topic code in a class of its own and hands
 * out an instance).
 */
export interface TopicDriver {
  /** Creates the topic if it does not exist. Idempotent. */
  createTopic(topic: string): Promise<void>
  /** Deletes the topic and every subscription of it. A missing topic is a no-op. */
  deleteTopic(topic: string): Promise<void>
  /**
   * Creates the subscription if it does not exist (an existing one is left as it is). It receives
   * every message published after this resolves that matches `filter`, never one published before.
   * A missing topic is `QUEUE_NOT_FOUND`. `filter` is validated and uses only declared operators.
   */
  createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void>
  /** Deletes the subscription and its messages. A missing one is a no-op. */
  deleteSubscription(topic: string, subscription: string): Promise<void>
  /**
   * Publishes to every subscription whose filter matches. Resolves once the backend accepted each
   * message (durably), or with its own error. `delaySeconds` is always 0. A missing topic is
   * `QUEUE_NOT_FOUND`.
   */
  publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]>
}

/** The portable filter operators (`FILTER_OPERATORS`): what every backend with topics expresses natively. */
export type FilterOperator = 'equals' | 'notEquals' | 'exists' | 'prefix'

/**
 * One attribute's condition, exactly one operator:
 * - `equals`: the attribute is present and one of the values;
 * - `notEquals`: the attribute is none of the values — an absent attribute matches;
 * - `exists`: the attribute is present (`true`) or absent (`false`);
 * - `prefix`: the attribute is present and starts with the text.
 */
export type AttributeCondition =
  | { equals: readonly string[] }
  | { notEquals: readonly string[] }
  | { exists: boolean }
  | { prefix: string }

/** A subscription filter: attribute name → condition; every condition must hold (AND). */
export type SubscriptionFilter = Readonly<Record<string, AttributeCondition>>
