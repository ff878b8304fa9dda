import type {
  IncomingMessage,
  OutgoingMessage,
  PeekedIncomingMessage,
  PeekedState,
} from '@anyqueue/queue-core/driver'

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which attribute names and values may contain. They
 * are stored with `%` as `%25` and U+0000 as `%00`: an escape that maps characters one by one, so
 * equality and prefixes of escaped strings are those of the originals (filters compare them as
 * stored). Bodies are stored as UTF-8 `bytea`, which holds anything.
 */
export function escapeText(text: string): string {
  return /[%\0]/.test(text) ? text.replace(/[%\0]/g, (c) => (c === '%' ? '%25' : '%00')) : text
}

export function unescapeText(text: string): string {
  return text.includes('%') ? text.replace(/%(25|00)/g, (_, c) => (c === '25' ? '%' : '\0')) : text
}

/** Attributes as the JSON text of the stored jsonb object. */
export function encodeAttributes(attributes: Readonly<Record<string, string>>): string {
  const escaped: Record<string, string> = {}
  for (const [name, value] of Object.entries(attributes)) escaped[escapeText(name)] = escapeText(value)
  return JSON.stringify(escaped)
}

export function decodeAttributes(stored: Record<string, string> | null): Record<string, string> {
  const attributes: Record<string, string> = {}
  for (const [name, value] of Object.entries(stored ?? {}))
    attributes[unescapeText(name)] = unescapeText(value)
  return attributes
}

/** The columns of one outgoing batch, as arrays for `unnest`. */
export function batchColumns(messages: readonly OutgoingMessage[], ids: readonly string[]): unknown[] {
  return [
    ids,
    messages.map((m) => Buffer.from(m.body, 'utf8')),
    messages.map((m) => m.contentType ?? null),
    messages.map((m) => encodeAttributes(m.attributes)),
    messages.map((m) => m.delaySeconds),
  ]
}

/** A stored row, as the statements return it. */
export interface MessageRow {
  seq: string
  id: string
  body: Buffer
  content_type: string | null
  attributes: Record<string, string> | null
  enqueued_at: Date
  deliveries: number
  state?: PeekedState
}

/**
 * The body as handed up: the stored bytes, which the portable layer decodes as strict UTF-8, so a
 * row another writer filled with bytes that are not UTF-8 arrives undecodable, never altered.
 */
function body(row: MessageRow): Uint8Array {
  return new Uint8Array(row.body.buffer, row.body.byteOffset, row.body.byteLength)
}

export function incoming(row: MessageRow, receiptHandle: string): IncomingMessage {
  return {
    id: row.id,
    body: body(row),
    contentType: row.content_type ?? undefined,
    receiptHandle,
    attempt: row.deliveries,
    enqueuedAt: row.enqueued_at,
    attributes: decodeAttributes(row.attributes),
  }
}

export function peeked(row: MessageRow): PeekedIncomingMessage {
  return {
    id: row.id,
    body: body(row),
    contentType: row.content_type ?? undefined,
    deliveries: row.deliveries,
    state: row.state!,
    enqueuedAt: row.enqueued_at,
    attributes: decodeAttributes(row.attributes),
  }
}
