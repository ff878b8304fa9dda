import type { DeliveryStream, IncomingMessage, QueueDriver } from './contract.js'
import { toMessage } from './decode.js'
import type { Message } from './messages.js'

/** What `Queue.openStream` asks for: the consumer's side of a driver's streaming receive path. */
export interface MessageStreamRequest<T> {
  /** Flow control: most messages delivered and not yet given back with `release` (handler slots). */
  maxOutstanding: number
  /** Takes a batch of decoded messages, each holding a lease from now. */
  deliver(messages: Message<T>[]): void
  /** A stream error (the driver reconnects by itself), as the driver classifies it. */
  onError(error: unknown): void
  /** The queue or its client was closed: the stream is over and never comes back. */
  onClosed(): void
}

/**
 * Opens the driver's stream on `queue` with its deliveries decoded as `receive()` decodes them, and
 * closes it when `closeSignal` (the queue closing) aborts. No wrapper per message: the driver's
 * batch is mapped to messages once, as `receive()` maps it.
 */
export function openMessageStream<T>(
  driver: QueueDriver,
  queue: string,
  closeSignal: AbortSignal,
  request: MessageStreamRequest<T>,
): DeliveryStream {
  const { name, capabilities } = driver
  const untypedBody = capabilities.untypedBody
  const stream = driver.streaming!.open(queue, {
    maxOutstanding: request.maxOutstanding,
    deliver: (incoming: IncomingMessage[]) => {
      const messages = new Array<Message<T>>(incoming.length)
      for (let i = 0; i < incoming.length; i++) messages[i] = toMessage<T>(incoming[i]!, name, untypedBody)
      request.deliver(messages)
    },
    onError: (error: unknown) => request.onError(driver.classifyError(error) ?? error),
  })
  const onClose = () => {
    stream.close().then(request.onClosed, request.onClosed)
  }
  closeSignal.addEventListener('abort', onClose, { once: true })
  return {
    release: (count) => stream.release(count),
    close: () => {
      closeSignal.removeEventListener('abort', onClose)
      return stream.close()
    },
  }
}
