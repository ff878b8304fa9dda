import { randomUUID } from 'node:crypto'
import rhea from 'rhea'
import { codec } from './rhea-internals.js'

const { message: amqpMessage, types } = rhea

/** The message format of a batch: one message whose data sections are each an encoded message. */
export const BATCH_MESSAGE_FORMAT = 0x80013700

const HEADER = 0x70
const DELIVERY_ANNOTATIONS = 0x71
const MESSAGE_ANNOTATIONS = 0x72
const APPLICATION_PROPERTIES = 0x74
const SYMBOLIC_SECTIONS: Record<string, number> = {
  'amqp:header:list': HEADER,
  'amqp:delivery-annotations:map': DELIVERY_ANNOTATIONS,
  'amqp:message-annotations:map': MESSAGE_ANNOTATIONS,
  'amqp:application-properties:map': APPLICATION_PROPERTIES,
}

/** rhea's decoded message: the fields of its properties section, and the sections themselves. */
export type DecodedMessage = Omit<rhea.Message, 'body'> & { body?: unknown }

export interface Header {
  durable: boolean
  priority: number
  ttlMs: number | undefined
}

/**
 * A message as the client encoded it. The sections the broker never changes (properties, body,
 * footer) are kept as the client's bytes and sent back untouched; the header and the message
 * annotations are rebuilt on every delivery; application properties only when a disposition
 * modifies them.
 */
export interface StoredBody {
  header: Header
  /** The client's own message annotations (partition key, scheduled time, ...). */
  annotations: Record<string, unknown>
  applicationProperties: Record<string, unknown> | undefined
  /** Every other section, in order, as the client's bytes. */
  sections: Array<{ code: number; bytes: Buffer }>
  /** The decoded message, for the fields the broker reads (id, subject, correlation id, ...). */
  decoded: DecodedMessage
  /** Encoded size as the client sent it. */
  size: number
}

export function parseMessage(bytes: Buffer): StoredBody {
  const reader = new codec.Reader(bytes)
  const sections: StoredBody['sections'] = []
  while (reader.remaining()) {
    const start = reader.position
    const section = reader.read() as { descriptor?: { value: unknown } }
    const raw = section.descriptor?.value
    const code = typeof raw === 'string' ? (SYMBOLIC_SECTIONS[raw] ?? -1) : Number(raw)
    if (
      code === HEADER ||
      code === DELIVERY_ANNOTATIONS ||
      code === MESSAGE_ANNOTATIONS ||
      code === APPLICATION_PROPERTIES
    )
      continue
    sections.push({ code, bytes: bytes.subarray(start, reader.position) })
  }
  const decoded = amqpMessage.decode(bytes) as DecodedMessage
  const header = (decoded as { header?: { durable?: boolean; priority?: number; ttl?: number } }).header
  return {
    header: {
      durable: header?.durable ?? false,
      priority: header?.priority ?? 4,
      ttlMs: typeof decoded.ttl === 'number' && decoded.ttl > 0 ? decoded.ttl : undefined,
    },
    annotations: { ...(decoded.message_annotations ?? {}) },
    applicationProperties: decoded.application_properties ? { ...decoded.application_properties } : undefined,
    sections,
    decoded,
    size: bytes.length,
  }
}

/** The messages of one transfer: itself, or each element of a batch. */
export function unpackTransfer(data: Buffer, format: number): Buffer[] {
  if (format !== BATCH_MESSAGE_FORMAT) return [data]
  const outer = amqpMessage.decode(data) as {
    body?: { typecode?: number; content?: unknown; multiple?: boolean }
  }
  const body = outer.body
  if (body?.typecode !== 0x75) throw new TypeError('a batch must carry its messages in data sections')
  const parts = body.multiple ? (body.content as Buffer[]) : [body.content as Buffer]
  return parts.map((part) => {
    if (!Buffer.isBuffer(part)) throw new TypeError('a batch data section must hold an encoded message')
    return part
  })
}

export interface DeliveryAnnotations {
  sequenceNumber: number
  enqueuedAt: number
  lockedUntil: number | undefined
  state: 0 | 1 | 2
  deadLetterSource: string | undefined
}

/** Encodes a stored message for delivery (or for a `$management` reply) with the broker's stamps. */
export function encodeStored(body: StoredBody, deliveryCount: number, stamps: DeliveryAnnotations): Buffer {
  const writer = new codec.Writer()
  writer.write(
    types.described(
      types.wrap_ulong(HEADER),
      types.wrap_list([
        types.wrap_boolean(body.header.durable),
        types.wrap_ubyte(body.header.priority),
        body.header.ttlMs === undefined ? null : types.wrap_uint(body.header.ttlMs),
        types.wrap_boolean(false),
        types.wrap_uint(deliveryCount),
      ]),
    ),
  )
  const annotations: Record<string, unknown> = {
    ...body.annotations,
    'x-opt-sequence-number': types.wrap_long(stamps.sequenceNumber),
    'x-opt-enqueued-time': types.wrap_timestamp(stamps.enqueuedAt),
    'x-opt-message-state': types.wrap_int(stamps.state),
  }
  if (stamps.lockedUntil !== undefined)
    annotations['x-opt-locked-until'] = types.wrap_timestamp(stamps.lockedUntil)
  if (stamps.deadLetterSource !== undefined) annotations['x-opt-deadletter-source'] = stamps.deadLetterSource
  writer.write(types.described(types.wrap_ulong(MESSAGE_ANNOTATIONS), types.wrap_symbolic_map(annotations)))
  // Properties (0x73) precede application properties (0x74); the body and footer follow them.
  const parts = [
    writer.toBuffer(),
    ...body.sections.filter((s) => s.code >= 0 && s.code < APPLICATION_PROPERTIES).map((s) => s.bytes),
  ]
  if (body.applicationProperties && Object.keys(body.applicationProperties).length > 0) {
    const w = new codec.Writer()
    w.write(
      types.described(types.wrap_ulong(APPLICATION_PROPERTIES), types.wrap_map(body.applicationProperties)),
    )
    parts.push(w.toBuffer())
  }
  const afterProps = body.sections.filter((s) => s.code > APPLICATION_PROPERTIES || s.code < 0)
  for (const s of afterProps) parts.push(s.bytes)
  return Buffer.concat(parts)
}

/** A lock token as the delivery tag carries it: a GUID in .NET byte order. */
export function lockTokenToDeliveryTag(token: string): Buffer {
  const rfc = uuidToBytes(token)
  return Buffer.from([
    rfc[3]!,
    rfc[2]!,
    rfc[1]!,
    rfc[0]!,
    rfc[5]!,
    rfc[4]!,
    rfc[7]!,
    rfc[6]!,
    ...rfc.subarray(8),
  ])
}

export function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex')
}

export function bytesToUuid(bytes: Buffer): string {
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Lock tokens as `$management` requests carry them: uuids (RFC byte order), or their strings. */
export function readLockToken(value: unknown): string | undefined {
  if (Buffer.isBuffer(value) && value.length === 16) return bytesToUuid(value)
  if (typeof value === 'string' && /^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(value))
    return value.toLowerCase()
  return undefined
}

/** Sequence numbers arrive as numbers, or as 8-byte big-endian buffers when rhea keeps a long raw. */
export function readLong(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (typeof value === 'bigint') return Number(value)
  if (Buffer.isBuffer(value) && value.length === 8) return Number(value.readBigInt64BE())
  return undefined
}

export const newLockToken = (): string => randomUUID()

export { amqpMessage, types }
