import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { incomingFromRecord, queueNameOfArn } from '../src/lambda/event.js'
import { fromSqs } from '../src/sqs-messages.js'

const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/)
type Attr = { kind: 'String' | 'Number'; value: string } | { kind: 'Binary'; value: Uint8Array }
const attribute: fc.Arbitrary<Attr> = fc.oneof(
  fc.record({ kind: fc.constant('String' as const), value: fc.string() }),
  fc.record({ kind: fc.constant('Number' as const), value: fc.integer().map(String) }),
  fc.record({ kind: fc.constant('Binary' as const), value: fc.uint8Array({ maxLength: 40 }) }),
)

describe('an SQSEvent record maps as the driver maps a received message', () => {
  test('property: the same id, body, attempt, content type and attributes as fromSqs gives', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(name, attribute, { maxKeys: 6 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.option(fc.constantFrom('application/json', 'text/plain; charset=utf-8'), { nil: undefined }),
        (body, attributes, attempt, contentType) => {
          const all: Record<string, Attr> = {
            ...attributes,
            ...(contentType && { 'content-type': { kind: 'String' as const, value: contentType } }),
          }
          const sdk = fromSqs({
            MessageId: 'id-1',
            ReceiptHandle: 'handle',
            Body: body,
            Attributes: { ApproximateReceiveCount: String(attempt), SentTimestamp: '1700000000000' },
            MessageAttributes: Object.fromEntries(
              Object.entries(all).map(([n, a]) => [
                n,
                a.kind === 'Binary'
                  ? { DataType: 'Binary', BinaryValue: a.value }
                  : { DataType: a.kind, StringValue: a.value as string },
              ]),
            ),
          })
          const record = incomingFromRecord({
            messageId: 'id-1',
            receiptHandle: 'handle',
            body,
            attributes: { ApproximateReceiveCount: String(attempt), SentTimestamp: '1700000000000' },
            messageAttributes: Object.fromEntries(
              Object.entries(all).map(([n, a]) => [
                n,
                a.kind === 'Binary'
                  ? { dataType: 'Binary', binaryValue: Buffer.from(a.value).toString('base64') }
                  : { dataType: a.kind, stringValue: a.value as string },
              ]),
            ),
            eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:jobs',
          })
          expect(record).toEqual(sdk)
          expect(record.attempt).toBe(attempt)
        },
      ),
      { seed: 20261207, numRuns: 300 },
    )
  })

  test('the queue name is the last part of the ARN', () => {
    expect(queueNameOfArn('arn:aws:sqs:eu-west-1:123456789012:prod-orders')).toBe('prod-orders')
  })
})
