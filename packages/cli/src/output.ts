import type { Message } from '@anyqueue/queue-core'

/** Where a command writes: human lines by default, one JSON value per line with `--json`. */
export class Output {
  constructor(
    readonly stdout: NodeJS.WritableStream,
    readonly json: boolean,
  ) {}

  /** A result: `human` for people, `value` for scripts. */
  result(human: string, value: unknown): void {
    this.stdout.write(`${this.json ? JSON.stringify(value) : human}\n`)
  }

  message(m: Message): void {
    const { value, attributes, payload } = shown(m, { id: m.id, attempt: m.attempt })
    this.result(
      `${m.id}  attempt ${m.attempt}  ${value.enqueuedAt}${attributes ? `  ${attributes}` : ''}\n  ${payload}`,
      value,
    )
  }
}

/** What a received or peeked message shows of itself: the fields `shown` reads. */
type Shown = Pick<Message<unknown>, 'enqueuedAt' | 'attributes' | 'payload' | 'decodeError' | 'rawBody'>

/**
 * A message as `receive`, `tail` and `peek` print it: `value` for `--json` (`head` first, then when
 * it was sent, its attributes and its payload), `attributes` and `payload` as text for people. A
 * body that cannot be represented (another producer's) is shown as what it is, never altered.
 */
export function shown<H extends object>(
  m: Shown,
  head: H,
): { value: H & { enqueuedAt: string }; attributes: string; payload: string } {
  const common = { ...head, enqueuedAt: m.enqueuedAt.toISOString(), attributes: m.attributes }
  const rawBody = m.decodeError ? Buffer.from(m.rawBody ?? new Uint8Array()).toString('base64') : undefined
  const value = m.decodeError
    ? { ...common, decodeError: m.decodeError.message, rawBody }
    : { ...common, payload: m.payload }
  const attributes = Object.entries(m.attributes)
    .map(([name, v]) => `${name}=${v}`)
    .join(' ')
  const payload = m.decodeError
    ? `(undecodable: ${m.decodeError.message}; raw body, base64: ${rawBody})`
    : typeof m.payload === 'string'
      ? m.payload
      : JSON.stringify(m.payload)
  return { value, attributes, payload }
}
