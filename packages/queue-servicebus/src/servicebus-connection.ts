import type { ServiceBusClient } from '@azure/service-bus'

/**
 * Whether the client's AMQP connection is open now: `undefined` when this SDK's internals cannot
 * tell (the driver then never aborts an SDK receive, and lets it run out its wait instead).
 *
 * Why it matters: an abort that reaches the SDK while it opens the connection makes rhea-promise
 * `close()` the client's one shared connection half-way through its handshake. The next call then
 * re-opens that connection on a new socket with the close still pending (it hangs for the SDK's
 * 60 s operation timeout), while the old socket stays attached until the server drops it and
 * fails whatever is opening then ("Failed to connect"). Once open, an abort only touches a link.
 */
export function connectionProbe(client: ServiceBusClient): () => boolean | undefined {
  return () => {
    const context = (client as unknown as { _connectionContext?: { connection?: { isOpen?: unknown } } })
      ._connectionContext
    const connection = context?.connection
    return typeof connection?.isOpen === 'function' ? Boolean(connection.isOpen()) : undefined
  }
}
