import {
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_TEXT,
  type IncomingMessage,
  type OutgoingMessage,
} from '@anyqueue/queue-core/driver'

/**
 * Key layout, one database for many queues (`!` cannot occur in a queue name):
 *   Q!<queue>        the queue exists
 *   N!<queue>        a ceiling above every seq the queue has ever used, so a seq (and thus a receipt
 *                    handle) is never reused — not after acks and a reopen, nor across a deletion.
 *                    Reserved ahead in blocks, so a send writes it once per `SEQ_BLOCK` messages.
 *   D!<queue>        the delivered mark: every message below this seq without a state record has
 *                    been delivered exactly once. One small write per receive records the first
 *                    deliveries of a whole batch, instead of a record per message.
 *   M!<queue>!<seq>  the message, written once: `id \n content-type \n enqueued-ms \n attributes \n body`
 *                    (attributes as JSON, or empty)
 *   S!<queue>!<seq>  its state (deliveries, visible-from), only where the mark cannot tell: a delayed
 *                    send, a delayed nack, a second or later delivery
 *   X!<queue>        a deletion under way: the queue's marker is gone, its messages are still being
 *                    cleared. Written in the same synced batch that deletes the marker, removed once
 *                    the messages are gone; an open completes the deletions a crash cut short.
 *   T!<topic>, U!<topic>!<sub>  topics and their subscriptions (`local-topics.ts`)
 * Seqs are fixed-width hex, so key order is FIFO order. The body is stored raw after a small text
 * header rather than inside JSON, which would escape every quote of a JSON body.
 */
export const key = {
  queue: (q: string) => `Q!${q}`,
  ceiling: (q: string) => `N!${q}`,
  delivered: (q: string) => `D!${q}`,
  deleting: (q: string) => `X!${q}`,
  message: (q: string, seq: number) => `M!${q}!${hex(seq)}`,
  state: (q: string, seq: number) => `S!${q}!${hex(seq)}`,
  /** The range of one queue's keys of one kind, for iterators and `clear`. */
  range: (kind: 'M' | 'S', q: string) => ({ gt: `${kind}!${q}!`, lt: `${kind}!${q}!~` }),
}

/** Seqs reserved per write of the ceiling key: 2^52 seqs last 2^36 reopens. */
export const SEQ_BLOCK = 65_536

export const hex = (seq: number) => seq.toString(16).padStart(13, '0')

/** The seq at the end of a message or state key. */
export const seqOf = (k: string) => Number.parseInt(k.slice(k.lastIndexOf('!') + 1), 16)

/** A message's state record: how often it was delivered, and from when it may be delivered. */
export interface StoredState {
  deliveries: number
  visibleAt: number
}

/** Reads a state record, also in the first format (`{ d, v }`). */
export function decodeState(value: string): StoredState {
  const parsed = JSON.parse(value) as Partial<StoredState> & { d?: number; v?: number }
  return { deliveries: parsed.deliveries ?? parsed.d ?? 0, visibleAt: parsed.visibleAt ?? parsed.v ?? 0 }
}

export const encodeState = (state: StoredState) => JSON.stringify(state)

export function encodeMessage(m: OutgoingMessage, id: string, enqueuedAt: number): string {
  const attributes = Object.keys(m.attributes).length > 0 ? JSON.stringify(m.attributes) : ''
  return `${id}\n${m.contentType ?? ''}\n${enqueuedAt}\n${attributes}\n${m.body}`
}

/**
 * A stored message as the driver hands it up, with its receipt handle and attempt. The header is
 * read in place: the enqueue time digit by digit, and our own content types as the shared
 * constants, so a message costs its id, body and attributes and no other string.
 */
export function decodeIncoming(value: string, receiptHandle: string, attempt: number): IncomingMessage {
  const a = value.indexOf('\n')
  const b = value.indexOf('\n', a + 1)
  const c = value.indexOf('\n', b + 1)
  const d = value.indexOf('\n', c + 1)
  let enqueuedAt = 0
  for (let i = b + 1; i < c; i++) {
    const digit = value.charCodeAt(i) - 48
    if (digit < 0 || digit > 9) {
      enqueuedAt = Number(value.slice(b + 1, c)) // not written by this driver, but read as before
      break
    }
    enqueuedAt = enqueuedAt * 10 + digit
  }
  return {
    id: value.slice(0, a),
    body: value.slice(d + 1),
    contentType: b > a + 1 ? contentTypeOf(value, a + 1, b) : undefined,
    receiptHandle,
    attempt,
    enqueuedAt: new Date(enqueuedAt),
    attributes: d > c + 1 ? (JSON.parse(value.slice(c + 1, d)) as Record<string, string>) : {},
  }
}

function contentTypeOf(value: string, from: number, to: number): string {
  const length = to - from
  if (length === CONTENT_TYPE_JSON.length && value.startsWith(CONTENT_TYPE_JSON, from))
    return CONTENT_TYPE_JSON
  if (length === CONTENT_TYPE_TEXT.length && value.startsWith(CONTENT_TYPE_TEXT, from))
    return CONTENT_TYPE_TEXT
  return value.slice(from, to)
}
