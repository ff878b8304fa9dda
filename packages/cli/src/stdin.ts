import { read } from 'node:fs'
import { LIMITS, QueueError } from '@anyqueue/queue-core'
import { UsageError } from './exit-codes.js'

/**
 * Most bytes `send <queue> -` takes from stdin: the largest payload, plus the line ending that is
 * dropped. One byte more is read, to tell a body that fits from one that does not — never the rest.
 */
export const STDIN_LIMIT = LIMITS.maxPayloadBytes + 2

/** Reads up to `length` bytes of `fd` into `buffer` at `offset`; 0 at the end of the input. */
function readSome(fd: number, buffer: Buffer, offset: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, offset, length, null, (error, bytes) => {
      if (!error) resolve(bytes)
      // A non-blocking stdin (a terminal Node touched) has nothing yet: try again shortly.
      else if ((error as NodeJS.ErrnoException).code === 'EAGAIN') setTimeout(() => resolve(-1), 20)
      else reject(error)
    })
  })
}

/**
 * The bytes of stdin, at most `limit`: read straight from the file descriptor into one buffer of
 * `limit + 1` bytes, so a huge or endless input costs no more memory than the limit. More than
 * `limit` is `MESSAGE_TOO_LARGE`, before anything is opened or sent.
 */
export async function readStdinBytes(limit = STDIN_LIMIT, fd = 0): Promise<Buffer> {
  const buffer = Buffer.alloc(limit + 1)
  let filled = 0
  while (filled < buffer.length) {
    const bytes = await readSome(fd, buffer, filled, buffer.length - filled)
    if (bytes === 0) break
    if (bytes > 0) filled += bytes
  }
  if (filled > limit) {
    throw new QueueError(
      'MESSAGE_TOO_LARGE',
      `stdin holds more than ${limit} bytes; a message body is at most ${LIMITS.maxPayloadBytes} bytes (UTF-8)`,
      { field: 'body', limit: LIMITS.maxPayloadBytes },
    )
  }
  return buffer.subarray(0, filled)
}

/**
 * The text of stdin's bytes, exactly: bytes that are not UTF-8 (an image, a Latin-1 file) would be
 * altered by decoding, so they are a usage error instead; a byte order mark is kept, not dropped.
 */
export function stdinText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    throw new UsageError(
      'stdin is not UTF-8 text: anyqueue sends text or JSON, and would alter these bytes; encode them first (base64 < file | anyqueue … send <queue> -)',
    )
  }
}
