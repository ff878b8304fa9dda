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
    const value = {
      id: m.id,
      attempt: m.attempt,
      enqueuedAt: m.enqueuedAt.toISOString(),
      attributes: m.attributes,
      payload: m.payload,
    }
    const attributes = Object.entries(m.attributes)
      .map(([name, v]) => `${name}=${v}`)
      .join(' ')
    const payload = typeof m.payload === 'string' ? m.payload : JSON.stringify(m.payload)
    this.result(
      `${m.id}  attempt ${m.attempt}  ${value.enqueuedAt}${attributes ? `  ${attributes}` : ''}\n  ${payload}`,
      value,
    )
  }
}
