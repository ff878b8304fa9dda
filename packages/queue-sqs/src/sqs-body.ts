/**
 * SQS accepts only XML characters in a body: #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD |
 * #x10000–#x10FFFF. The portable contract promises any well-formed text round-trips, so a body
 * with anything else (NUL, other C0 controls, U+FFFE/U+FFFF) travels base64-encoded, marked by a
 * `content-transfer-encoding: base64` attribute. Every other body is sent as is, readable by any tool.
 */
const OUTSIDE_SQS_CHARSET = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

export function needsTransferEncoding(body: string): boolean {
  return OUTSIDE_SQS_CHARSET.test(body)
}

export function toBase64(body: string): string {
  return Buffer.from(body, 'utf8').toString('base64')
}

export function fromBase64(body: string): string {
  return Buffer.from(body, 'base64').toString('utf8')
}

/** Canonical, padded base64 only: Node's decoder would silently skip anything else. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * A received body marked `content-transfer-encoding: base64`: its bytes (the portable layer decodes
 * them as strict UTF-8), or undefined when the body is not base64 at all — another producer's
 * mistake, which is then reported as undecodable rather than turned into garbled text.
 */
export function bytesFromBase64(body: string): Uint8Array | undefined {
  if (!BASE64.test(body)) return undefined
  return Buffer.from(body, 'base64')
}

/**
 * SNS refuses an empty message, so an empty body is published as one space marked
 * `content-transfer-encoding: empty`, and read back as the empty string.
 */
export const EMPTY_ENCODING = 'empty'

/** A body as SNS/SQS can carry it, and the transfer encoding to mark it with (if any). */
export function encodeBody(body: string): { body: string; encoding: 'base64' | 'empty' | undefined } {
  if (body === '') return { body: ' ', encoding: EMPTY_ENCODING }
  if (needsTransferEncoding(body)) return { body: toBase64(body), encoding: 'base64' }
  return { body, encoding: undefined }
}
