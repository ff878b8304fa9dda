import type {
  DeliveryStream,
  IncomingMessage,
  QueueDriver,
  StreamingReceiver,
  StreamRequest,
} from '@anyqueue/queue-core/driver'

/** What the instrumented stream needs of `InstrumentedDriver`. */
export interface StreamHooks {
  /**
   * A delivery is about to be handed over, recorded as a `receiveBatch` call of `messages`: throws
   * an injected error, or returns how long to hold the delivery back (see `Fault`).
   */
  enter(queue: string, messages: readonly IncomingMessage[]): number
  /** The delivery was handed over (recorded in `deliveries`). */
  delivered(queue: string, messages: readonly IncomingMessage[], at: number): void
}

/**
 * A driver's `streaming`, recorded and faultable as its `receiveBatch` is: each delivery counts as
 * one `receiveBatch` call, so the cases that count deliveries, hold a receive back or fail one mean
 * the same on the streaming path. A failed delivery is handed back to the backend (a nack) and its
 * credit returned, as a failed receive would never have taken the messages.
 */
export function instrumentStream(
  inner: StreamingReceiver,
  driver: Pick<QueueDriver, 'nack'>,
  hooks: StreamHooks,
): StreamingReceiver {
  return {
    open(queue: string, request: StreamRequest): DeliveryStream {
      const held = new Set<Promise<void>>()
      let stream: DeliveryStream | undefined
      const deliver = (messages: IncomingMessage[], at: number) => {
        hooks.delivered(queue, messages, at)
        request.deliver(messages)
      }
      stream = inner.open(queue, {
        maxOutstanding: request.maxOutstanding,
        onError: request.onError,
        deliver: (messages) => {
          const at = Date.now()
          let holdMs: number
          try {
            holdMs = hooks.enter(queue, messages)
          } catch (error) {
            request.onError(error)
            for (const m of messages) driver.nack(queue, m.receiptHandle, 0).catch(request.onError)
            // Released after this delivery returns: the driver never sees its credit re-entered.
            queueMicrotask(() => stream?.release(messages.length))
            return
          }
          if (holdMs <= 0) return deliver(messages, at)
          const holding = new Promise<void>((resolve) => setTimeout(resolve, holdMs)).then(() => {
            held.delete(holding)
            deliver(messages, at)
          })
          held.add(holding)
        },
      })
      return {
        release: (count) => stream!.release(count),
        async close() {
          await stream!.close()
          // Deliveries held back are handed over before close resolves, never after.
          await Promise.all(held)
        },
      }
    },
  }
}
