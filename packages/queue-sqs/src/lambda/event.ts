import type { IncomingMessage } from '@anyqueue/queue-core/driver'
import type { MessageAttributeValue, Message as SqsMessage } from '@aws-sdk/client-sqs'
import { fromSqs } from '../sqs-messages.js'

/**
 * The parts of an `SQSEvent` (as `@types/aws-lambda` names it) the handler reads: structural, so
 * any of AWS's own types fits and this package takes no dependency for them.
 */
export interface SqsEvent {
  Records: SqsEventRecord[]
}

/** One record of an `SQSEvent`, as AWS sends it (camelCase, unlike the SDK's `Message`). */
export interface SqsEventRecord {
  messageId: string
  receiptHandle: string
  body: string
  attributes: {
    ApproximateReceiveCount: string
    SentTimestamp: string
    [name: string]: string | undefined
  }
  messageAttributes: Record<string, SqsEventMessageAttribute>
  md5OfBody?: string
  eventSource?: string
  /** `arn:aws:sqs:<region>:<account>:<queue name>` */
  eventSourceARN: string
  awsRegion?: string
}

/** A message attribute in an event: Binary values are base64 text, not bytes. */
export interface SqsEventMessageAttribute {
  stringValue?: string
  binaryValue?: string
  stringListValues?: string[]
  binaryListValues?: string[]
  dataType: string
}

/** What the handler returns: the records to leave on the queue (`ReportBatchItemFailures`). */
export interface SqsBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>
}

/** The part of the Lambda `Context` the handler reads: the time left before the invocation is cut. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number
}

/** A record as the driver's `receiveBatch` would have handed it up: the same mapping (`fromSqs`). */
export function incomingFromRecord(record: SqsEventRecord): IncomingMessage {
  const attributes: Record<string, MessageAttributeValue> = {}
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    attributes[name] = {
      DataType: value.dataType,
      StringValue: value.stringValue ?? undefined,
      BinaryValue: value.binaryValue != null ? Buffer.from(value.binaryValue, 'base64') : undefined,
      StringListValues: value.stringListValues,
      BinaryListValues: value.binaryListValues?.map((b) => Buffer.from(b, 'base64')),
    }
  }
  const message: SqsMessage = {
    MessageId: record.messageId,
    ReceiptHandle: record.receiptHandle,
    Body: record.body,
    Attributes: {
      ApproximateReceiveCount: record.attributes.ApproximateReceiveCount,
      SentTimestamp: record.attributes.SentTimestamp,
    },
    MessageAttributes: Object.keys(attributes).length > 0 ? attributes : undefined,
  }
  return fromSqs(message)
}

/** The queue name at the end of an SQS ARN. */
export function queueNameOfArn(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1)
}
