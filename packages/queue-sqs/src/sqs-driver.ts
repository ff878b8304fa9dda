import {
  ALL_FILTER_TOPICS,
  type Capabilities,
  type IncomingMessage,
  LIMITS,
  type OutgoingMessage,
  PromiseCache,
  parseSubscriptionAddress,
  type QueueDriver,
  type QueueError,
  type QueueStats,
  type ReceiveRequest,
  rejectUnknownOptions,
  resolveLeaseSeconds,
  resolvePrefix,
  resolveUntypedBody,
  type SendResult,
} from '@anyqueue/queue-core/driver'
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { DRIVER_NAME } from './constants.js'
import { SnsTopics, subscriptionQueueName } from './sns-topics.js'
import { batchReplyResults, classifySqsError, isGoneError } from './sqs-errors.js'
import { listSqsQueues } from './sqs-list.js'
import { fromSqs, splitBySize, toSqsEntries } from './sqs-messages.js'
import type { SqsDriverOptions } from './sqs-options.js'
import { readSqsStats, SQS_STATS } from './sqs-stats.js'

/** Every option `SqsDriverOptions` has: anything else is a typo, refused by name. */
const OPTION_KEYS = [
  'client',
  'clientConfig',
  'leaseSeconds',
  'createIfMissing',
  'prefix',
  'queueAttributes',
  'snsClient',
  'snsClientConfig',
  'untypedBody',
] as const satisfies readonly (keyof SqsDriverOptions)[]

/** Real handles are a few hundred characters of base64; moto's are 185 letters. */
const RECEIPT_HANDLE = /^[A-Za-z0-9+/=_\-.:~]{20,2048}$/
const PREFIX = /^[A-Za-z0-9_-]{0,16}$/

export class SqsDriver implements QueueDriver {
  readonly name = DRIVER_NAME
  readonly capabilities: Capabilities
  readonly leaseSeconds: number
  /** The SDK client: an escape hatch for anything anyqueue does not cover. */
  readonly client: SQSClient
  readonly #ownsClient: boolean
  readonly #options: SqsDriverOptions
  readonly #prefix: string
  readonly #urls = new PromiseCache<string, string>()
  readonly topics: SnsTopics

  constructor(options: SqsDriverOptions = {}) {
    rejectUnknownOptions(options, OPTION_KEYS, DRIVER_NAME)
    this.capabilities = Object.freeze({
      persistent: true,
      fifo: false,
      delay: 900,
      // SQS keeps a received message invisible for at most 12 h in all: a nack delay of up to 10 h leaves
      // a handler 2 h (renewals included) before its nack could pass that ceiling.
      nackDelay: 36_000,
      renewLease: true,
      deadLetter: true,
      maxBatch: LIMITS.maxBatch,
      minLeaseSeconds: 1,
      staleHandles: 'may-act',
      topics: ALL_FILTER_TOPICS,
      untypedBody: resolveUntypedBody(options.untypedBody, 'text', DRIVER_NAME),
      stats: SQS_STATS,
      peek: false, // SQS can only show a message by receiving it: a delivery
    })
    const leaseSeconds = resolveLeaseSeconds(options.leaseSeconds, {
      min: 1,
      max: LIMITS.maxNackDelaySeconds,
      driver: DRIVER_NAME,
    })
    const prefix = resolvePrefix(options.prefix, {
      pattern: PREFIX,
      described: 'at most 16 characters of A-Z, a-z, 0-9, "_" or "-"',
      limit: 16,
      fallback: '',
      driver: DRIVER_NAME,
    })
    this.leaseSeconds = leaseSeconds
    this.#options = options
    this.#prefix = prefix
    this.#ownsClient = options.client === undefined
    this.client =
      options.client ??
      new SQSClient({
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 5_000, requestTimeout: (LIMITS.maxWaitSeconds + 10) * 1000 },
        ...options.clientConfig,
      })
    this.topics = new SnsTopics(
      { prefix, client: options.snsClient, clientConfig: options.snsClientConfig ?? options.clientConfig },
      {
        create: (queueName, attributes) => this.#createNamed(queueName, attributes),
        queueArn: async (url) => {
          const reply = await this.client.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
          )
          return reply.Attributes!.QueueArn!
        },
        deleteByName: async (queueName) => {
          try {
            const { QueueUrl } = await this.client.send(new GetQueueUrlCommand({ QueueName: queueName }))
            await this.client.send(new DeleteQueueCommand({ QueueUrl }))
          } catch (error) {
            if (classifySqsError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
          }
        },
      },
    )
  }

  /**
   * The SQS queue name for a portable name: the prefix, then the name unchanged. A subscription
   * (`topic/subscription`) maps to the prefix, then `subscriptionQueueName(topic, subscription)`.
   */
  backendName(queue: string): string {
    const address = parseSubscriptionAddress(queue)
    return this.#prefix + (address ? subscriptionQueueName(address.topic, address.subscription) : queue)
  }

  /** The queues under the prefix, by portable name, without topic subscriptions: see `sqs-list.ts`. */
  listQueues(): Promise<string[]> {
    return listSqsQueues(this.client, this.#prefix)
  }

  async createQueue(queue: string): Promise<void> {
    await this.#urls.set(queue, this.#create(queue))
  }

  async deleteQueue(queue: string): Promise<void> {
    let url: string
    try {
      url = await this.#url(queue, false)
    } catch (error) {
      if (classifySqsError(error)?.code === 'QUEUE_NOT_FOUND') return
      throw error
    }
    this.#urls.delete(queue)
    try {
      await this.client.send(new DeleteQueueCommand({ QueueUrl: url }))
    } catch (error) {
      if (classifySqsError(error)?.code !== 'QUEUE_NOT_FOUND') throw error
    }
  }

  async sendBatch(queue: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const url = await this.#url(queue)
    const entries = toSqsEntries(messages)
    if (entries.length === 1) {
      // One message: the single call is a smaller request for SQS to parse than a batch of one.
      const { Id: _, ...entry } = entries[0]!.entry
      const reply = await this.#call(queue, () =>
        this.client.send(new SendMessageCommand({ QueueUrl: url, ...entry })),
      )
      return [{ id: reply.MessageId! }]
    }
    const results: SendResult[] = new Array(messages.length)
    await Promise.all(
      splitBySize(entries).map(async (chunk) => {
        const reply = await this.#call(queue, () =>
          this.client.send(
            new SendMessageBatchCommand({ QueueUrl: url, Entries: chunk.map((c) => c.entry) }),
          ),
        )
        batchReplyResults(reply, results)
      }),
    )
    return results
  }

  async receiveBatch(queue: string, request: ReceiveRequest): Promise<IncomingMessage[]> {
    const url = await this.#url(queue)
    const reply = await this.#call(queue, () =>
      this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: request.maxMessages,
          // SQS takes whole seconds. Round down: the contract is to wait *up to* waitSeconds.
          WaitTimeSeconds: Math.min(LIMITS.maxWaitSeconds, Math.floor(request.waitSeconds)),
          VisibilityTimeout: this.leaseSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: request.signal },
      ),
    )
    return (reply.Messages ?? []).map(fromSqs)
  }

  async ackBatch(queue: string, receiptHandles: readonly string[]): Promise<void> {
    const url = await this.#url(queue)
    if (receiptHandles.length === 1) {
      try {
        await this.#call(queue, () =>
          this.client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receiptHandles[0] })),
        )
      } catch (error) {
        if (!isGoneError((error as { name?: string }).name)) throw error
      }
      return
    }
    const reply = await this.#call(queue, () =>
      this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: receiptHandles.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
        }),
      ),
    )
    // A handle SQS no longer knows belongs to a message already deleted: acking it is a no-op.
    const failed = (reply.Failed ?? []).filter((f) => !isGoneError(f.Code))
    if (failed.length > 0) {
      const first = failed[0]!
      throw Object.assign(new Error(`${failed.length} ack(s) failed: ${first.Message ?? first.Code}`), {
        name: first.Code,
        $fault: first.SenderFault ? 'client' : 'server',
        $metadata: { httpStatusCode: first.SenderFault ? 400 : 500 },
      })
    }
  }

  nack(queue: string, receiptHandle: string, delaySeconds: number): Promise<void> {
    return this.#changeVisibility(queue, receiptHandle, delaySeconds)
  }

  renewLease(queue: string, receiptHandle: string): Promise<void> {
    return this.#changeVisibility(queue, receiptHandle, this.leaseSeconds)
  }

  /** The queue's approximate counts, from its attributes: see `sqs-stats.ts`. */
  async stats(queue: string): Promise<QueueStats> {
    const url = await this.#url(queue, false)
    return this.#call(queue, () => readSqsStats(this.client, url))
  }

  isReceiptHandle(receiptHandle: string): boolean {
    return RECEIPT_HANDLE.test(receiptHandle)
  }

  classifyError(error: unknown): QueueError | undefined {
    return classifySqsError(error)
  }

  async close(): Promise<void> {
    await this.topics.close()
    if (this.#ownsClient) this.client.destroy()
  }

  async #changeVisibility(queue: string, receiptHandle: string, seconds: number): Promise<void> {
    const url = await this.#url(queue)
    try {
      await this.#call(queue, () =>
        this.client.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: seconds,
          }),
        ),
      )
    } catch (error) {
      // The message was deleted, or its lease already ended: nothing to change.
      if (!isGoneError((error as { name?: string }).name)) throw error
    }
  }

  /** The queue URL, resolved once by name and cached. */
  #url(queue: string, createIfMissing = this.#options.createIfMissing ?? false): Promise<string> {
    // A subscription's queue is made by createSubscription, never on first use.
    const create = createIfMissing && parseSubscriptionAddress(queue) === undefined
    return this.#urls.get(queue, () =>
      this.client
        .send(new GetQueueUrlCommand({ QueueName: this.backendName(queue) }))
        .then((r) => r.QueueUrl!)
        .catch((error: unknown) => {
          if (create && classifySqsError(error)?.code === 'QUEUE_NOT_FOUND') return this.#create(queue)
          throw error
        }),
    )
  }

  #create(queue: string): Promise<string> {
    return this.#createNamed(this.backendName(queue), {})
  }

  async #createNamed(queueName: string, attributes: Record<string, string>): Promise<string> {
    const reply = await this.client.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: {
          VisibilityTimeout: String(this.leaseSeconds),
          ...this.#options.queueAttributes,
          ...attributes,
        },
      }),
    )
    return reply.QueueUrl!
  }

  /** Runs a call on a queue; a queue that vanished is forgotten so the next call resolves it again. */
  async #call<R>(queue: string, call: () => Promise<R>): Promise<R> {
    try {
      return await call()
    } catch (error) {
      if (classifySqsError(error)?.code === 'QUEUE_NOT_FOUND') this.#urls.delete(queue)
      throw error
    }
  }
}

/** A driver over Amazon SQS (or anything that speaks its API: LocalStack, moto, ElasticMQ). */
export function createSqsDriver(options: SqsDriverOptions = {}): SqsDriver {
  return new SqsDriver(options)
}
