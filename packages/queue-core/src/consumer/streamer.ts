import type { Message, Queue } from '../queue.js'
import type { SlotGate } from './slot-gate.js'

export interface StreamerOptions<T> {
  queue: Queue<T>
  slots: SlotGate
  /** Ends the stream. */
  signal: AbortSignal
  /** Takes the messages of one delivery, with a slot already taken for each. */
  deliver: (messages: Message<T>[]) => void
  /** A delivered message the consumer cannot start because it is stopping. */
  release: (message: Message<T>) => void
  onError: (error: unknown) => void
  /** The queue or its client was closed under the consumer. */
  onClosed: () => void
}

/**
 * The consumer's receive path over a driver's stream (`QueueDriver.streaming`), the pollers'
 * counterpart: the stream's credit is the consumer's free slots, and every slot given back (a
 * handler ended) is credit given back. Resolves once `signal` aborted and the stream closed, or the
 * queue closed under it; undefined when the queue's driver has no stream, so the pollers run instead.
 */
export function streamInto<T>(options: StreamerOptions<T>): Promise<void> | undefined {
  const { queue, slots, signal } = options
  if (typeof queue.openStream !== 'function' || !queue.capabilities.streaming) return undefined
  let closed!: () => void
  const ended = new Promise<void>((resolve) => {
    closed = resolve
  })
  const stream = queue.openStream({
    maxOutstanding: slots.free,
    deliver: (messages) => {
      if (signal.aborted) {
        // Delivered as we stop: never started, so they go straight back.
        stream?.release(messages.length)
        for (const message of messages) options.release(message)
        return
      }
      slots.take(messages.length)
      options.deliver(messages)
    },
    onError: options.onError,
    onClosed: () => {
      closed()
      options.onClosed()
    },
  })
  if (stream === undefined) return undefined
  slots.onRelease(stream.release)
  const stop = () => {
    stream.close().then(closed, (error: unknown) => {
      options.onError(error)
      closed()
    })
  }
  if (signal.aborted) stop()
  else signal.addEventListener('abort', stop, { once: true })
  return ended
}
