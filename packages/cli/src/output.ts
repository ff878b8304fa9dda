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
    const common = {
      id: m.id,
      attempt: m.attempt,
      enqueuedAt: m.enqueuedAt.toISOString(),
      attributes: m.attributes,
    }
    // A body that cannot be represented (another producer's): shown as what it is, never altered.
    const value = m.decodeError
      ? {
          ...common,
          decodeError: m.decodeError.message,
          rawBody: Buffer.from(m.rawBody ?? new Uint8Array()).toString('base64'),
        }
      : { ...common, payload: m.payload }
    const attributes = Object.entries(m.attributes)
      .map(([name, v]) => `${name}=${v}`)
      .join(' ')
    const payload = m.decodeError
      ? `(undecodable: ${m.decodeError.message}; raw body, base64: ${(value as { rawBody: string }).rawBody})`
      : typeof m.payload === 'string'
        ? m.payload
        : JSON.stringify(m.payload)
    this.result(
      `${m.id}  attempt ${m.attempt}  ${value.enqueuedAt}${attributes ? `  ${attributes}` : ''}\n  ${payload}`,
      value,
    )
  }
}
