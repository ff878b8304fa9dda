import { QueueError } from './errors.js'
import { LIMITS } from './limits.js'

/** Any value JSON can represent exactly. A `string` payload is sent as text, anything else as JSON. */
export type Payload = string | number | boolean | null | Payload[] | { [key: string]: Payload }

export const CONTENT_TYPE_TEXT = 'text/plain; charset=utf-8'
export const CONTENT_TYPE_JSON = 'application/json'

export interface EncodedPayload {
  body: string
  contentType: typeof CONTENT_TYPE_TEXT | typeof CONTENT_TYPE_JSON
  /** UTF-8 bytes of `body`. */
  bytes: number
}

/**
 * Validates and encodes a payload. JSON.stringify would silently drop `undefined`, turn NaN into
 * null and serialise a Map as `{}`; the contract forbids silent coercion, so we walk the value first.
 */
export function encodePayload(payload: unknown, field = 'payload'): EncodedPayload {
  let body: string
  let contentType: EncodedPayload['contentType']
  if (typeof payload === 'string') {
    assertWellFormed(payload, field)
    body = payload
    contentType = CONTENT_TYPE_TEXT
  } else {
    assertJsonValue(payload, field, new Set())
    body = JSON.stringify(payload)
    contentType = CONTENT_TYPE_JSON
  }
  const bytes = Buffer.byteLength(body, 'utf8')
  if (bytes > LIMITS.maxPayloadBytes) {
    throw new QueueError(
      'MESSAGE_TOO_LARGE',
      `${field} is ${bytes} bytes once encoded; the limit is ${LIMITS.maxPayloadBytes} bytes (UTF-8)`,
      { field, limit: LIMITS.maxPayloadBytes },
    )
  }
  return { body, contentType, bytes }
}

/**
 * Decodes a body as received. A message without our JSON content type — sent by another tool — is
 * text; so is a body that claims JSON but does not parse: delivering it beats dropping it.
 */
export function decodePayload(body: string, contentType: string | undefined): Payload {
  if (contentType !== undefined && isJsonContentType(contentType)) {
    try {
      return JSON.parse(body) as Payload
    } catch {
      return body
    }
  }
  return body
}

function isJsonContentType(contentType: string): boolean {
  const base = contentType.split(';', 1)[0]!.trim().toLowerCase()
  return base === CONTENT_TYPE_JSON
}

function invalid(field: string, why: string): QueueError {
  return new QueueError('INVALID_PAYLOAD', `${field} ${why}; payloads must be text or a JSON value`, {
    field,
  })
}

function assertWellFormed(text: string, field: string): void {
  if (!text.isWellFormed()) throw invalid(field, 'contains a lone UTF-16 surrogate')
}

function assertJsonValue(value: unknown, field: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
      assertWellFormed(value, field)
      return
    case 'boolean':
      return
    case 'number':
      if (!Number.isFinite(value)) throw invalid(field, `is ${value}, which JSON cannot represent`)
      return
    case 'object':
      break
    default:
      throw invalid(field, `is of type ${typeof value}, which JSON cannot represent`)
  }
  if (value === null) return
  if (ancestors.has(value)) throw invalid(field, 'refers to itself (a cycle)')
  ancestors.add(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) throw invalid(`${field}[${i}]`, 'is a hole in a sparse array')
      assertJsonValue(value[i], `${field}[${i}]`, ancestors)
    }
  } else {
    const proto = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as object).constructor?.name ?? 'object'
      throw invalid(field, `is a ${kind}, not a plain object`)
    }
    for (const key of Object.keys(value)) {
      assertWellFormed(key, `${field} key ${JSON.stringify(key)}`)
      assertJsonValue((value as Record<string, unknown>)[key], `${field}.${key}`, ancestors)
    }
  }
  ancestors.delete(value)
}
