import { createHash } from 'node:crypto'
import {
  type AttributeCondition,
  type OutgoingMessage,
  QueueError,
  type SendResult,
  type SubscriptionFilter,
} from '@anyqueue/queue-core/driver'
import type { PublishBatchCommandOutput, SNSClient, SNSClientConfig } from '@aws-sdk/client-sns'
import { CONTENT_TYPE_ATTRIBUTE, DRIVER_NAME, TRANSFER_ENCODING_ATTRIBUTE } from './constants.js'
import { encodeBody } from './sqs-body.js'
import { batchReplyResults } from './sqs-errors.js'

type Sns = typeof import('@aws-sdk/client-sns')

/** SNS takes at most five attribute names in one filter policy. */
const SNS_FILTER_MAX_KEYS = 5

/**
 * The SQS queue name of a subscription, without the driver's prefix: readable parts of both names,
 * then 12 hex digits of a SHA-256 of `topic/subscription`, so the pair maps injectively (in
 * practice) and every name fits SQS's 80 characters with a 16-character prefix: at most
 * 24 + 1 + 24 + 1 + 12 = 62.
 */
export function subscriptionQueueName(topic: string, subscription: string): string {
  const hash = createHash('sha256').update(`${topic}/${subscription}`).digest('hex').slice(0, 12)
  return `${topic.slice(0, 24)}-${subscription.slice(0, 24)}-${hash}`
}

/**
 * A portable filter as an SNS filter policy on message attributes. The portable `notEquals` lets an
 * absent attribute match; SNS `anything-but` does not, so it is ORed with `exists: false` (listed
 * first: moto stops at the first rule that needs the attribute).
 */
function toFilterPolicy(filter: SubscriptionFilter): Record<string, unknown[]> {
  const names = Object.keys(filter)
  if (names.length > SNS_FILTER_MAX_KEYS) {
    throw new QueueError(
      'INVALID_ARGUMENT',
      `filter names ${names.length} attributes; SNS filter policies take at most ${SNS_FILTER_MAX_KEYS}`,
      { field: 'filter', limit: SNS_FILTER_MAX_KEYS, driver: DRIVER_NAME },
    )
  }
  const policy: Record<string, unknown[]> = {}
  for (const name of names) policy[name] = rule(filter[name]!)
  return policy
}

function rule(condition: AttributeCondition): unknown[] {
  if ('equals' in condition) return [...condition.equals]
  if ('notEquals' in condition) return [{ exists: false }, { 'anything-but': [...condition.notEquals] }]
  if ('exists' in condition) return [{ exists: condition.exists }]
  return [{ prefix: condition.prefix }]
}

export interface SnsTopicsOptions {
  prefix: string
  client: SNSClient | undefined
  clientConfig: SNSClientConfig | undefined
}

/** What the topics need of the SQS driver: its queues. */
export interface SqsQueues {
  create(queueName: string, attributes: Record<string, string>): Promise<string>
  queueArn(url: string): Promise<string>
  /** Deletes a queue by SQS name; a missing one is a no-op. */
  deleteByName(queueName: string): Promise<void>
}

/**
 * Topics on SNS, subscriptions as SQS queues subscribed with raw message delivery: the body is the
 * plain text or JSON and the attributes arrive as SQS message attributes, so a subscription is read
 * exactly like a queue. `@aws-sdk/client-sns` is loaded on first use (an optional peer).
 */
export class SnsTopics {
  readonly #options: SnsTopicsOptions
  readonly #queues: SqsQueues
  #sdk: Promise<{ sdk: Sns; client: SNSClient }> | undefined
  readonly #arns = new Map<string, string>()
  #owns = false

  constructor(options: SnsTopicsOptions, queues: SqsQueues) {
    this.#options = options
    this.#queues = queues
  }

  /** The SNS topic name for a portable topic name: the prefix, then the name unchanged. */
  backendName(topic: string): string {
    return this.#options.prefix + topic
  }

  async createTopic(topic: string): Promise<void> {
    const { sdk, client } = await this.#load()
    const reply = await client.send(new sdk.CreateTopicCommand({ Name: this.backendName(topic) }))
    this.#arns.set(topic, reply.TopicArn!)
  }

  async deleteTopic(topic: string): Promise<void> {
    const { sdk, client } = await this.#load()
    const arn = await this.#arn(topic, false)
    if (arn === undefined) return
    // SNS leaves an SQS subscriber behind when its topic goes: delete the queues this driver made.
    for (const subscription of await this.#subscriptions(arn)) {
      await client.send(new sdk.UnsubscribeCommand({ SubscriptionArn: subscription.arn }))
      const queueName = subscription.endpoint.split(':').at(-1) ?? ''
      if (queueName.startsWith(this.#options.prefix + topic.slice(0, 24))) {
        await this.#queues.deleteByName(queueName)
      }
    }
    await client.send(new sdk.DeleteTopicCommand({ TopicArn: arn }))
    this.#arns.delete(topic)
  }

  async createSubscription(
    topic: string,
    subscription: string,
    filter: SubscriptionFilter | undefined,
  ): Promise<void> {
    const policy = filter === undefined ? undefined : toFilterPolicy(filter)
    const { sdk, client } = await this.#load()
    const topicArn = await this.#arn(topic, true)
    const queueName = this.#options.prefix + subscriptionQueueName(topic, subscription)
    const url = await this.#queues.create(queueName, {
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: '*',
            Condition: { ArnEquals: { 'aws:SourceArn': topicArn } },
          },
        ],
      }),
    })
    const queueArn = await this.#queues.queueArn(url)
    if ((await this.#subscriptions(topicArn!)).some((s) => s.endpoint === queueArn)) return
    await client.send(
      new sdk.SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        ReturnSubscriptionArn: true,
        Attributes: {
          RawMessageDelivery: 'true',
          ...(policy === undefined
            ? {}
            : { FilterPolicy: JSON.stringify(policy), FilterPolicyScope: 'MessageAttributes' }),
        },
      }),
    )
  }

  async deleteSubscription(topic: string, subscription: string): Promise<void> {
    const { sdk, client } = await this.#load()
    const topicArn = await this.#arn(topic, false)
    const queueName = this.#options.prefix + subscriptionQueueName(topic, subscription)
    if (topicArn !== undefined) {
      for (const s of await this.#subscriptions(topicArn)) {
        if (s.endpoint.split(':').at(-1) === queueName) {
          await client.send(new sdk.UnsubscribeCommand({ SubscriptionArn: s.arn }))
        }
      }
    }
    await this.#queues.deleteByName(queueName)
  }

  async publishBatch(topic: string, messages: readonly OutgoingMessage[]): Promise<SendResult[]> {
    const { sdk, client } = await this.#load()
    const arn = await this.#arn(topic, true)
    const entries = messages.map((m, i) => {
      const { body, encoding } = encodeBody(m.body)
      const attributes: Record<string, { DataType: string; StringValue: string }> = {}
      for (const [name, value] of Object.entries(m.attributes)) attributes[name] = text(value)
      if (m.contentType !== undefined) attributes[CONTENT_TYPE_ATTRIBUTE] = text(m.contentType)
      if (encoding !== undefined) attributes[TRANSFER_ENCODING_ATTRIBUTE] = text(encoding)
      return { Id: String(i), Message: body, MessageAttributes: attributes }
    })
    let reply: PublishBatchCommandOutput
    try {
      reply = await client.send(
        new sdk.PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: entries }),
      )
    } catch (error) {
      if (isNotFound(error)) this.#arns.delete(topic)
      throw error
    }
    const results: SendResult[] = messages.map(() => ({ error: new Error('SNS returned no result') }))
    batchReplyResults(reply, results)
    return results
  }

  async close(): Promise<void> {
    if (this.#sdk && this.#owns) (await this.#sdk.catch(() => undefined))?.client.destroy()
  }

  /** The topic's ARN, found by name once (ListTopics) and cached; `QUEUE_NOT_FOUND` if `required`. */
  async #arn(topic: string, required: true): Promise<string>
  async #arn(topic: string, required: false): Promise<string | undefined>
  async #arn(topic: string, required: boolean): Promise<string | undefined> {
    const cached = this.#arns.get(topic)
    if (cached !== undefined) return cached
    const { sdk, client } = await this.#load()
    const suffix = `:${this.backendName(topic)}`
    let NextToken: string | undefined
    do {
      const page = await client.send(new sdk.ListTopicsCommand({ NextToken }))
      const found = page.Topics?.find((t) => t.TopicArn?.endsWith(suffix))?.TopicArn
      if (found !== undefined) {
        this.#arns.set(topic, found)
        return found
      }
      NextToken = page.NextToken
    } while (NextToken)
    if (!required) return undefined
    throw new QueueError(
      'QUEUE_NOT_FOUND',
      `topic "${topic}" does not exist (SNS topic ${this.backendName(topic)}): create it with createTopic("${topic}")`,
      { driver: DRIVER_NAME },
    )
  }

  async #subscriptions(topicArn: string): Promise<Array<{ arn: string; endpoint: string }>> {
    const { sdk, client } = await this.#load()
    const found: Array<{ arn: string; endpoint: string }> = []
    let NextToken: string | undefined
    do {
      const page = await client.send(
        new sdk.ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }),
      )
      for (const s of page.Subscriptions ?? []) {
        if (s.Protocol === 'sqs' && s.SubscriptionArn && s.Endpoint) {
          found.push({ arn: s.SubscriptionArn, endpoint: s.Endpoint })
        }
      }
      NextToken = page.NextToken
    } while (NextToken)
    return found
  }

  #load(): Promise<{ sdk: Sns; client: SNSClient }> {
    this.#sdk ??= import('@aws-sdk/client-sns').then(
      (sdk) => {
        this.#owns = this.#options.client === undefined
        const client =
          this.#options.client ?? new sdk.SNSClient({ maxAttempts: 1, ...this.#options.clientConfig })
        return { sdk, client }
      },
      (error: unknown) => {
        this.#sdk = undefined
        throw new QueueError(
          'NOT_SUPPORTED',
          'topics on SQS need SNS: install the optional peer dependency @aws-sdk/client-sns',
          { driver: DRIVER_NAME, cause: error },
        )
      },
    )
    return this.#sdk
  }
}

function text(value: string) {
  return { DataType: 'String', StringValue: value }
}

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name
  return name === 'NotFoundException' || name === 'NotFound'
}
