import type { SNSClient, SNSClientConfig } from '@aws-sdk/client-sns'
import type { SQSClient, SQSClientConfig } from '@aws-sdk/client-sqs'

export interface SqsDriverOptions {
  /**
   * Your own client. The driver then uses it as configured — including its retry policy; pass
   * `maxAttempts: 1` so retries happen once, in the portable layer.
   */
  client?: SQSClient
  /**
   * Configuration for the client the driver builds when `client` is not given. The driver sets
   * `maxAttempts: 1` (the portable layer retries) and socket timeouts that outlast a 20 s long poll.
   * Region, credentials and endpoint come from the usual AWS sources (`AWS_REGION`,
   * `AWS_ENDPOINT_URL_SQS`, …) unless set here.
   */
  clientConfig?: SQSClientConfig
  /** Visibility timeout of received messages, in seconds. Default 30; 1 or more. */
  leaseSeconds?: number
  /** Create a missing queue on first use instead of failing with `QUEUE_NOT_FOUND`. Default false. */
  createIfMissing?: boolean
  /**
   * Prepended to every portable name to make the SQS queue name (`prefix + name`), e.g. `prod-`.
   * At most 16 characters of `A-Za-z0-9_-`, so every name fits SQS's 80.
   */
  prefix?: string
  /** Extra attributes for queues the driver creates (e.g. `RedrivePolicy`, `KmsMasterKeyId`). */
  queueAttributes?: Record<string, string>
  /**
   * Topics: your own SNS client (`@aws-sdk/client-sns`, an optional peer dependency, loaded on the
   * first topic call). Pass `maxAttempts: 1` so retries happen once, in the portable layer.
   */
  snsClient?: SNSClient
  /** Configuration for the SNS client the driver builds when `snsClient` is not given. Default: `clientConfig`. */
  snsClientConfig?: SNSClientConfig
  /**
   * What a body without a content type — another producer's — arrives as: `'text'`, the text it
   * holds; `'json-or-text'`, the JSON value it holds when it parses as JSON, else that text.
   * Default `'text'`: SQS bodies are text, and its SDKs send strings as they are. anyqueue's own messages carry a content type and are never affected.
   */
  untypedBody?: 'text' | 'json-or-text'
}
