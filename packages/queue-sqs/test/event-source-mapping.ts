import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs'
import type { SqsBatchResponse, SqsEvent, SqsEventMessageAttribute, SqsEventRecord } from '../src/index.js'

/**
 * What an SQS event source mapping does, for tests: receive a batch (the queue's own visibility
 * timeout, every attribute), invoke the function with the event exactly as AWS shapes it, then
 * delete only the records that are not in `batchItemFailures` (`ReportBatchItemFailures`). A
 * function that throws deletes nothing, as with AWS.
 */
export async function deliverOnce(
  sqs: SQSClient,
  queueUrl: string,
  invoke: (event: SqsEvent, context: { getRemainingTimeInMillis(): number }) => Promise<SqsBatchResponse>,
  options: { remainingMs?: number; waitSeconds?: number } = {},
): Promise<{ event: SqsEvent; response: SqsBatchResponse | undefined; deleted: string[] }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  )
  const arn = Attributes!.QueueArn!
  const reply = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: options.waitSeconds ?? 1,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  )
  const region = arn.split(':')[3]!
  const event: SqsEvent = {
    Records: (reply.Messages ?? []).map(
      (m): SqsEventRecord => ({
        messageId: m.MessageId!,
        receiptHandle: m.ReceiptHandle!,
        body: m.Body ?? '',
        attributes: {
          ApproximateReceiveCount: m.Attributes!.ApproximateReceiveCount!,
          SentTimestamp: m.Attributes!.SentTimestamp!,
          SenderId: m.Attributes?.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp:
            m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        },
        messageAttributes: Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).map(([name, v]): [string, SqsEventMessageAttribute] => [
            name,
            {
              ...(v.StringValue !== undefined && { stringValue: v.StringValue }),
              ...(v.BinaryValue !== undefined && {
                binaryValue: Buffer.from(v.BinaryValue).toString('base64'),
              }),
              stringListValues: v.StringListValues ?? [],
              binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
              dataType: v.DataType!,
            },
          ]),
        ),
        md5OfBody: m.MD5OfBody ?? '',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: region,
      }),
    ),
  }
  if (event.Records.length === 0) return { event, response: undefined, deleted: [] }
  const started = Date.now()
  const remainingMs = options.remainingMs ?? 60_000
  let response: SqsBatchResponse | undefined
  try {
    response = await invoke(JSON.parse(JSON.stringify(event)) as SqsEvent, {
      getRemainingTimeInMillis: () => remainingMs - (Date.now() - started),
    })
  } catch {
    return { event, response: undefined, deleted: [] } // the whole batch comes back
  }
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier))
  const done = event.Records.filter((r) => !failed.has(r.messageId))
  if (done.length > 0) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    )
  }
  return { event, response, deleted: done.map((r) => r.messageId) }
}
