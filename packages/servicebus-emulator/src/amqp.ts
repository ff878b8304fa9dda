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
 * modifies them. Annotation and property values are kept as the client's typed AMQP values (an
 * int stays an int, a uuid a uuid, a timestamp a timestamp) — never round-tripped through JS
 * values; read one with `plain`.
 */
export interface StoredBody {
  header: Header
  /** The client's own message annotations (partition key, scheduled time, ...), typed. */
  annotations: Record<string, unknown>
  /** Typed values as the client sent them; plain JS values where the broker set one. */
  applicationProperties: Record<string, unknown> | undefined
  /** Every other section, in order, as the client's bytes. */
  sections: Array<{ code: number; bytes: Buffer }>
  /** The header and properties sections decoded, for the fields the broker reads (id, subject, ...). */
  decoded: DecodedMessage
  /** Encoded size as the client sent it. */
  size: number
}

const PROPERTIES = 0x73

interface TypedValue {
  value: unknown
  descriptor?: { value: unknown }
}

/** A stored property or annotation value as JS sees it (a typed AMQP value unwrapped). */
export function plain(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'type' in value && 'value' in value
    ? types.unwrap(value as never)
    : value
}

/** An AMQP map section's entries, values left typed. */
function typedEntries(section: TypedValue): Record<string, unknown> {
  const items = Array.isArray(section.value) ? (section.value as unknown[]) : []
  const out: Record<string, unknown> = {}
  for (let i = 0; i + 1 < items.length; i += 2) out[String(plain(items[i]))] = items[i + 1]
  return out
}

/**
 * A map inside a message's `amqp-value` body (a `$management` request's `properties-to-modify`),
 * its values typed as the client encoded them; undefined when absent.
 */
export function typedBodyMap(bytes: Buffer, key: string): Record<string, unknown> | undefined {
  const reader = new codec.Reader(bytes)
  while (reader.remaining()) {
    const section = reader.read() as TypedValue
    const raw = section.descriptor?.value
    if (raw !== 0x77 && raw !== 'amqp:amqp-value:*') continue
    const entries = typedEntries(section)
    const value = entries[key] as TypedValue | undefined
    return value && Array.isArray(value.value) ? typedEntries(value) : undefined
  }
  return undefined
}

export function parseMessage(bytes: Buffer): StoredBody {
  const reader = new codec.Reader(bytes)
  const sections: StoredBody['sections'] = []
  const known: Buffer[] = []
  let annotations: Record<string, unknown> = {}
  let applicationProperties: Record<string, unknown> | undefined
  while (reader.remaining()) {
    const start = reader.position
    const section = reader.read() as TypedValue
    const raw = section.descriptor?.value
    const code = typeof raw === 'string' ? (SYMBOLIC_SECTIONS[raw] ?? -1) : Number(raw)
    const slice = bytes.subarray(start, reader.position)
    if (code === HEADER) known.push(slice)
    else if (code === MESSAGE_ANNOTATIONS) annotations = typedEntries(section)
    else if (code === APPLICATION_PROPERTIES) applicationProperties = typedEntries(section)
    else if (code !== DELIVERY_ANNOTATIONS) {
      if (code === PROPERTIES) known.push(slice)
      sections.push({ code, bytes: slice })
    }
  }
  const decoded = (known.length > 0 ? amqpMessage.decode(Buffer.concat(known)) : {}) as DecodedMessage & {
    header?: { durable?: boolean; priority?: number }
  }
  return {
    header: {
      durable: decoded.header?.durable ?? false,
      priority: decoded.header?.priority ?? 4,
      ttlMs: typeof decoded.ttl === 'number' && decoded.ttl > 0 ? decoded.ttl : undefined,
    },
    annotations,
    applicationProperties,
    sections,
    decoded,
    size: bytes.length,
  }
}

/** The fields of the properties section, by position, and the names rhea decodes them to. */
export const PROPERTY_FIELDS = [
  'message_id',
  'user_id',
  'to',
  'subject',
  'reply_to',
  'correlation_id',
  'content_type',
  'content_encoding',
  'absolute_expiry_time',
  'creation_time',
  'group_id',
  'group_sequence',
  'reply_to_group_id',
] as const

/**
 * The message with some properties-section fields replaced (string fields; null removes one):
 * only that section is rebuilt, its other fields kept as typed by the client; the body and every
 * other section stay the client's bytes.
 */
export function withPropertyFields(
  body: StoredBody,
  changes: Partial<Record<(typeof PROPERTY_FIELDS)[number], string | null>>,
): StoredBody {
  const index = body.sections.findIndex((s) => s.code === PROPERTIES)
  const fields: unknown[] =
    index >= 0
      ? [...((new codec.Reader(body.sections[index]!.bytes).read() as TypedValue).value as unknown[])]
      : []
  const decoded: Record<string, unknown> = { ...body.decoded }
  for (const [name, value] of Object.entries(changes)) {
    fields[PROPERTY_FIELDS.indexOf(name as (typeof PROPERTY_FIELDS)[number])] =
      value === null ? null : types.wrap_string(value)
    decoded[name] = value ?? undefined
  }
  const writer = new codec.Writer()
  writer.write(
    types.described(types.wrap_ulong(PROPERTIES), types.wrap_list([...fields].map((f) => f ?? null))),
  )
  const section = { code: PROPERTIES, bytes: writer.toBuffer() }
  const sections =
    index >= 0 ? body.sections.map((s, i) => (i === index ? section : s)) : [section, ...body.sections]
  return { ...body, sections, decoded: decoded as DecodedMessage }
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
  /** The lock's token, stamped as `x-opt-lock-token` as Service Bus does (clients that cannot read the delivery tag use it). */
  lockToken?: string | undefined
  /**
   * Also in the delivery annotations: a message in a `$management` reply (a deferred message) has
   * no delivery tag, and uamqp SDKs (Python) read its lock token there.
   */
  lockTokenInDeliveryAnnotations?: boolean
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
  if (stamps.lockToken !== undefined && stamps.lockTokenInDeliveryAnnotations)
    writer.write(
      types.described(
        types.wrap_ulong(DELIVERY_ANNOTATIONS),
        types.wrap_symbolic_map({ 'x-opt-lock-token': types.wrap_uuid(uuidToBytes(stamps.lockToken)) }),
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
  if (stamps.lockToken !== undefined)
    annotations['x-opt-lock-token'] = types.wrap_uuid(uuidToBytes(stamps.lockToken))
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

/** A GUID's bytes swapped between RFC and .NET order (the first three fields flip endianness): both ways. */
function swapGuidOrder(bytes: Buffer): Buffer {
  const b = bytes
  return Buffer.from([b[3]!, b[2]!, b[1]!, b[0]!, b[5]!, b[4]!, b[7]!, b[6]!, ...b.subarray(8)])
}

/** A lock token as the delivery tag carries it: a GUID in .NET byte order. */
export function lockTokenToDeliveryTag(token: string): Buffer {
  return swapGuidOrder(uuidToBytes(token))
}

/** The SDK keys lock auto-renewal by message id, so every stored message gets one. */
export function withMessageId(body: StoredBody): StoredBody {
  if (body.decoded.message_id !== undefined && body.decoded.message_id !== null) return body
  // The SDK always sets one; other clients may not. Only the properties section is rebuilt.
  return withPropertyFields(body, { message_id: randomUUID() })
}

/** The lock token a delivery tag carries (.NET GUID byte order), in RFC form. */
export function tokenOf(delivery: { tag: Buffer }): string {
  return readLockToken(swapGuidOrder(delivery.tag)) ?? ''
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
