import { type IncomingMessage, LIMITS, type OutgoingMessage } from '@anyqueue/queue-core/driver'
import type {
  MessageAttributeValue,
  SendMessageBatchRequestEntry,
  Message as SqsMessage,
} from '@aws-sdk/client-sqs'
import { CONTENT_TYPE_ATTRIBUTE, TRANSFER_ENCODING_ATTRIBUTE } from './constants.js'
import { bytesFromBase64, EMPTY_ENCODING, needsTransferEncoding, toBase64 } from './sqs-body.js'

/** SQS caps a batch request at 256 KiB in total, bodies and attributes together. */
const MAX_REQUEST_BYTES = 262_144
/** A generous allowance per entry for its id, delay and attribute names and types. */
const ENTRY_OVERHEAD_BYTES = 256

/** An SQS batch entry for an outgoing message, with what it counts against the request size. */
export interface SqsEntry {
  entry: SendMessageBatchRequestEntry
  bytes: number
}

/** The SQS mapping of outgoing messages (see the README), entry ids their indexes. */
export function toSqsEntries(messages: readonly OutgoingMessage[]): SqsEntry[] {
  return messages.map((m, i) => {
    const encoded = needsTransferEncoding(m.body)
    const body = encoded ? toBase64(m.body) : m.body
    const attributes: Record<string, MessageAttributeValue> = {}
    for (const [name, value] of Object.entries(m.attributes)) attributes[name] = text(value)
    if (m.contentType !== undefined) attributes[CONTENT_TYPE_ATTRIBUTE] = text(m.contentType)
    if (encoded) attributes[TRANSFER_ENCODING_ATTRIBUTE] = text('base64')
    return {
      entry: {
        Id: String(i),
        MessageBody: body,
        DelaySeconds: m.delaySeconds,
        MessageAttributes: Object.keys(attributes).length > 0 ? attributes : undefined,
      },
      bytes: Buffer.byteLength(body) + ENTRY_OVERHEAD_BYTES + attributeBytes(m.attributes),
    }
  })
}

/** SQS counts each attribute's name, type and value against the request size. */
function attributeBytes(attributes: Readonly<Record<string, string>>): number {
  let bytes = 0
  for (const [name, value] of Object.entries(attributes))
    bytes += Buffer.byteLength(name) + Buffer.byteLength(value) + 6
  return bytes
}

/**
 * The mapping of a received SQS message (see the README): `content-type` (a String) is the content
 * type; `content-transfer-encoding: base64` means the body is base64 of the real bytes, and a body
 * that is not base64 is undecodable; `content-transfer-encoding: empty` on a one-space body is the
 * empty text a topic published. Every other attribute is delivered, whatever its type: String
 * and Number (and their custom `.x` types) as their string value, Binary as base64 of its bytes.
 */
export function fromSqs(m: SqsMessage): IncomingMessage {
  const {
    [CONTENT_TYPE_ATTRIBUTE]: contentType,
    [TRANSFER_ENCODING_ATTRIBUTE]: encoding,
    ...rest
  } = m.MessageAttributes ?? {}
  const attributes: Record<string, string> = {}
  for (const [name, value] of Object.entries(rest)) attributes[name] = attributeString(value)
  // Only the values anyqueue itself writes are its own; anything else another producer set under
  // these names is delivered as an attribute rather than swallowed.
  if (contentType !== undefined && contentType.StringValue === undefined) {
    attributes[CONTENT_TYPE_ATTRIBUTE] = attributeString(contentType)
  }
  const base64 = encoding?.StringValue === 'base64'
  // SNS refuses empty messages: a topic publishes "" as one space marked `empty` (see sqs-body).
  const empty = encoding?.StringValue === EMPTY_ENCODING && m.Body === ' '
  if (encoding !== undefined && !base64 && !empty) {
    attributes[TRANSFER_ENCODING_ATTRIBUTE] = attributeString(encoding)
  }
  const raw = empty ? '' : (m.Body ?? '')
  const bytes = base64 ? bytesFromBase64(raw) : undefined
  return {
    id: m.MessageId!,
    body: bytes ?? raw,
    ...(base64 &&
      bytes === undefined && {
        undecodable: `is marked ${TRANSFER_ENCODING_ATTRIBUTE}: base64 but is not base64`,
      }),
    contentType: contentType?.StringValue,
    receiptHandle: m.ReceiptHandle!,
    attempt: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
    enqueuedAt: new Date(Number(m.Attributes?.SentTimestamp ?? Date.now())),
    attributes,
  }
}

/** String and Number values as they are; Binary as base64; a list type (reserved by SQS) as JSON. */
function attributeString(value: MessageAttributeValue): string {
  if (value.StringValue !== undefined) return value.StringValue
  if (value.BinaryValue !== undefined) return Buffer.from(value.BinaryValue).toString('base64')
  if (value.StringListValues?.length) return JSON.stringify(value.StringListValues)
  if (value.BinaryListValues?.length) {
    return JSON.stringify(value.BinaryListValues.map((b) => Buffer.from(b).toString('base64')))
  }
  return ''
}

function text(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value }
}

/** Groups entries into requests of at most 10 entries and 256 KiB. */
export function splitBySize<T extends { bytes: number }>(entries: T[]): T[][] {
  const chunks: T[][] = []
  let current: T[] = []
  let size = 0
  for (const entry of entries) {
    if (
      current.length > 0 &&
      (current.length === LIMITS.maxBatch || size + entry.bytes > MAX_REQUEST_BYTES)
    ) {
      chunks.push(current)
      current = []
      size = 0
    }
    current.push(entry)
    size += entry.bytes
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}
