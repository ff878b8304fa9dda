import type { QueueDriver } from '@anyqueue/queue-core/driver'
import type { ForeignMessage } from './target.js'

/**
 * `ConformanceTarget.sendForeign` for a backend with no producer but the driver itself (local,
 * memory): a raw write through `sendBatch`, past every check of the portable layer — no content
 * type unless one is given, names and sizes unchecked. Such a backend stores text, so its target
 * leaves `foreignBytes` unset and is only given text (or bytes that are valid UTF-8).
 */
export async function sendThroughDriver(
  queue: string,
  message: ForeignMessage,
  driver: QueueDriver,
): Promise<void> {
  const body =
    typeof message.body === 'string'
      ? message.body
      : new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(message.body)
  const [result] = await driver.sendBatch(queue, [
    {
      body,
      contentType: message.contentType,
      bytes: Buffer.byteLength(body),
      delaySeconds: 0,
      attributes: { ...message.attributes },
    },
  ])
  if (!result || 'error' in result) throw result?.error ?? new Error('sendBatch returned no result')
}
