import type { OutgoingMessage } from '@anyqueue/queue-core/driver'

/**
 * Receipt handles: `rq1.<queue>.<seq in hex>.<delivery>`. A queue's seq counter outlives the queue,
 * so a handle never repeats, not even after the queue is deleted and created again.
 */
const HANDLE = /^rq1\.([A-Za-z0-9_-]{1,64}(?:\/[A-Za-z0-9_-]{1,64})?)\.([0-9a-f]{1,13})\.([1-9][0-9]{0,9})$/

export function isHandle(handle: string): boolean {
  return HANDLE.test(handle)
}

export function makeHandle(queue: string, seq: string | number, delivery: string | number): string {
  return `rq1.${queue}.${Number(seq).toString(16)}.${delivery}`
}

/** The seq and delivery a handle of `queue` names, as the scripts compare them; undefined otherwise. */
export function parseHandle(queue: string, handle: string): { seq: string; delivery: string } | undefined {
  const match = HANDLE.exec(handle)
  if (!match || match[1] !== queue) return undefined
  return { seq: String(Number.parseInt(match[2]!, 16)), delivery: match[3]! }
}

/** A stored message, as the record after `<enqueued ms>|` holds it. */
export interface StoredPayload {
  id: string
  contentType: string | undefined
  attributes: Record<string, string>
  body: string
  enqueuedAt: Date
}

/** What a script stores after the server's time: `[id, contentType | null, attributes, body]`. */
export function encodePayload(id: string, message: OutgoingMessage): string {
  return JSON.stringify([id, message.contentType ?? null, message.attributes, message.body])
}

/** Reads a record `<enqueued ms>|<payload JSON>` back. */
export function decodeRecord(record: string): StoredPayload {
  const bar = record.indexOf('|')
  const [id, contentType, attributes, body] = JSON.parse(record.slice(bar + 1)) as [
    string,
    string | null,
    Record<string, string>,
    string,
  ]
  return {
    id,
    contentType: contentType ?? undefined,
    attributes: { ...attributes },
    body,
    enqueuedAt: new Date(Number(record.slice(0, bar))),
  }
}
